/**
 * An MLP router: a small network regresses, from the routing feature, each assignment's observed quality and normalised
 * cost (one hidden layer, 2 x M^N linear outputs), and an item goes to argmax_a Q(a) - alpha * C(a). It is the learned
 * per-arm predictor that RouterBench-style evaluations put next to kNN; it reads the same standardised feature (haps
 * eval wraps it in StandardizedBaseline.ts) and decides with the same rule as HAPS's joint head, so the two differ only
 * in how they are trained (regression here; warm-up plus joint RL with adapters there).
 *
 * Training: mean squared error over every (item, assignment) pair, Adam with decoupled weight decay, items in shuffled
 * batches; the epoch count is raised so that at least `minSteps` updates happen, and per cost preference the
 * checkpoint with the best validation reward of its own decisions is kept (rewardCheckpoints.ts; recorded at about 100
 * epochs of the run). Ties between assignments go to the cheaper one (predicted cost), then to the lower index.
 */
import { Adam } from "../nn/Adam.ts";
import { Mlp } from "../nn/Mlp.ts";
import { checkAlpha, checkQuery, checkRoutingExamples, type ExampleWidths } from "./checkRoutingExamples.ts";
import { isRecordPoint, recordEvery, RewardCheckpoints, type CheckpointSelection } from "./rewardCheckpoints.ts";
import { epochsForMinSteps, restoreParameters, shuffleInPlace, snapshotParameters, toFloat64 } from "./trainingHelpers.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";

export interface MlpRouterOptions {
  /** Width of the hidden layer. Defaults to `64`. */
  hidden?: number;
  /** Epochs (raised to reach `minSteps`). Defaults to `50`. */
  epochs?: number;
  /** Items per update. Defaults to `16`. */
  batchSize?: number;
  /**
   * Adam step size. Defaults to `1e-2`: on the planted 48-item problem of KnnMlpRouters.test.ts (a large common
   * component, issue 15's shape) the kept validation MSE was 0.065 at lr 1e-3 (any weight decay up to 1e-2), 0.011 at
   * lr 1e-2 with weight decay 0.1.
   */
  lr?: number;
  /** Decoupled weight decay (per step: w -= lr * weightDecay * w). Defaults to `0.1` (see `lr`). */
  weightDecay?: number;
  /** Least number of updates. Defaults to `2000`. */
  minSteps?: number;
}

export class MlpRouter implements Baseline {
  readonly name = "MLP router";
  readonly weighsCost = true;
  readonly options: Required<MlpRouterOptions>;
  private net: Mlp | null = null;
  private widths: ExampleWidths | null = null;
  private count = 0;
  private checkpoints: RewardCheckpoints<Float32Array[]> | null = null;

  constructor(options: MlpRouterOptions = {}) {
    this.options = {
      hidden: options.hidden ?? 64,
      epochs: options.epochs ?? 50,
      batchSize: options.batchSize ?? 16,
      lr: options.lr ?? 1e-2,
      weightDecay: options.weightDecay ?? 0.1,
      minSteps: options.minSteps ?? 2000,
    };
    const o = this.options;
    for (const field of ["hidden", "epochs", "batchSize"] as const) {
      if (!Number.isInteger(o[field]) || o[field] < 1) throw new Error(`MlpRouter: option ${field} must be a positive integer, got ${o[field]}`);
    }
    if (!Number.isInteger(o.minSteps) || o.minSteps < 0) throw new Error(`MlpRouter: option minSteps must be an integer >= 0, got ${o.minSteps}`);
    if (!(o.lr > 0)) throw new Error(`MlpRouter: option lr must be > 0, got ${o.lr}`);
    if (!(o.weightDecay >= 0)) throw new Error(`MlpRouter: option weightDecay must be >= 0, got ${o.weightDecay}`);
  }

  fit(train: readonly RoutingExample[], valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void {
    const widths = checkRoutingExamples(train, space, "MlpRouter.fit (train)");
    checkRoutingExamples(valid, space, "MlpRouter.fit (valid)", widths);
    if (train.length === 0) throw new Error("MlpRouter.fit: needs at least one training item");
    const o = this.options;
    const K = space.assignments.length;
    this.widths = widths;
    this.count = K;
    const net = new Mlp([widths.embedding, o.hidden, 2 * K], options.rng, { activation: "tanh", activateLast: false });
    const rows = train.map((ex) => ({ x: toFloat64(ex.embedding), ex }));
    const adam = new Adam(net.namedParameters(), { lr: o.lr, weightDecay: o.weightDecay });
    const params = [...net.namedParameters()].map(([, p]) => p);
    const stepsPerEpoch = Math.ceil(rows.length / o.batchSize);
    const epochs = epochsForMinSteps(o.epochs, stepsPerEpoch, o.minSteps);
    this.net = net;
    const checkpoints = new RewardCheckpoints(valid, train, options.alphas, { take: () => snapshotParameters(params), put: (s) => restoreParameters(params, s) });
    this.checkpoints = checkpoints;
    const every = recordEvery(epochs);
    let step = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffleInPlace(rows, options.rng);
      for (let start = 0; start < rows.length; start += o.batchSize) {
        const batch = rows.slice(start, start + o.batchSize);
        adam.zeroGrad();
        for (const r of batch) {
          const trace = net.forward(r.x);
          const g = new Float64Array(2 * K);
          for (let a = 0; a < K; a++) {
            g[a] = (2 * (trace.output[a] - r.ex.quality[a])) / (batch.length * 2 * K);
            g[K + a] = (2 * (trace.output[K + a] - r.ex.cost[a])) / (batch.length * 2 * K);
          }
          net.backward(trace, g, false);
        }
        adam.step();
        step++;
      }
      if (isRecordPoint(epoch, epochs, every)) checkpoints.record({ epoch, step }, (ex, a) => this.decide(ex, a));
    }
    checkpoints.load(checkpoints.alphas[0]);
  }

  /** The kept checkpoint per cost preference and the recorded validation-reward curve. */
  checkpointSelection(): CheckpointSelection | null {
    return this.checkpoints?.selection() ?? null;
  }

  /** Predicted quality and normalised cost of every assignment for one item. */
  predict(example: RoutingExample): { quality: Float64Array; cost: Float64Array } {
    if (this.net == null || this.widths == null) throw new Error("MlpRouter.predict: call fit first");
    checkQuery(example, this.widths, "MlpRouter.predict");
    const out = this.net.forward(toFloat64(example.embedding)).output;
    return { quality: out.slice(0, this.count), cost: out.slice(this.count) };
  }

  choose(example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "MlpRouter.choose");
    this.checkpoints?.load(alpha);
    return this.decide(example, alpha);
  }

  /** The decision with the weights as they are. */
  private decide(example: RoutingExample, alpha: number): number {
    const { quality, cost } = this.predict(example);
    let best = 0;
    for (let a = 1; a < this.count; a++) {
      const r = quality[a] - alpha * cost[a];
      const rb = quality[best] - alpha * cost[best];
      if (r > rb + 1e-12 || (Math.abs(r - rb) <= 1e-12 && cost[a] < cost[best])) best = a;
    }
    return best;
  }
}

