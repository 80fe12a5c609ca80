/**
 * RouteLLM's matrix-factorisation router (Ong et al., arXiv 2406.18665; lm-sys/RouteLLM,
 * routers/matrix_factorization).
 *
 * What the original does: a query embedding e_q (text-embedding-3-small) is projected, W e_q, and multiplied
 * element-wise with a learned, L2-normalised embedding P_m of each model; a linear readout w gives the model's score
 * s(m, q) = w^T (P_m/|P_m| * W e_q), with no bias anywhere. The strong model's win probability is
 * sigma(s_strong - s_weak). It is trained on pairwise battles (Chatbot Arena, ties and self-pairs dropped) with
 * logit w^T ((P_win - P_lose) * W (e_q + eps)), eps ~ N(0, 0.1^2) in training only, BCE against "the winner won",
 * Adam (lr 3e-4, L2 weight decay 1e-5), dim 128, batch 64, 100 epochs. A query goes to the strong model iff its win
 * probability reaches a threshold; the threshold is calibrated as the (1 - p)-quantile of the win probabilities on a
 * calibration set so that a share p of queries goes to the strong model, and evaluation sweeps the quantile edges.
 *
 * What we kept: the model (`MatrixFactorization.ts`; the table starts N(0, 1) as nn.Embedding does, the projections
 * with our Linear's LeCun-normal weights rather than PyTorch's uniform ones), the battle loss with input noise, the
 * optimiser and all hyperparameters, the decision rule, quantile calibration and the sweep (metrics/routing).
 *
 * How we adapted it to two agents with M candidates:
 *  - each of the M^N assignments is one "model" of the table P; battles come from the action-level data: for every
 *    training item and every pair of assignments, the one with the higher observed quality wins (equal qualities are
 *    ties and dropped), so all assignments shape the shared projection as all Arena models do in the original;
 *  - `routing: "all"` (the default, as every other router here picks among all assignments): an item goes to the
 *    assignment with the highest predicted win rate w_a = mean over b != a of sigma(s_a - s_b) - RouteLLM's rule
 *    "send the query to the model predicted to win", over all M^N "models". Cost enters only in the cost regimes: at
 *    alpha = 0 the decision is the plain argmax; at alpha > 0 it is argmax w_a - lambda * c_a, with c_a the
 *    assignment's mean normalised training cost and lambda the value of a fixed grid with the best mean validation
 *    reward quality - alpha * cost (the role RouteLLM leaves to the user's budget, as its threshold);
 *  - `routing: "pair"` (the named variant "RouteLLM (MF, strong/weak)"): the original's binary form. "strong" is the
 *    assignment with the highest mean normalised training cost (with priced candidates where the costlier model is
 *    the stronger one, All Strong) and "weak" the one with the lowest (All Weak); both can be set. At alpha = 0 the
 *    threshold is fixed (`threshold`, or calibrated to `strongShare` on the validation queries); at alpha > 0 it is
 *    the one that maximises the mean validation reward. Its threshold sweep is the RouteLLM-style curve, whose x axis
 *    is the share of items sent to the costlier configuration;
 *  - the epoch count is raised so that at least `minSteps` updates happen, and per cost preference the checkpoint with
 *    the best validation reward of its own decisions (lambda or threshold chosen as above, at that checkpoint) is kept,
 *    recorded at about 100 epochs of the run (rewardCheckpoints.ts; the original keeps its last epoch, on far more
 *    battles). The curve and `sweep` use the checkpoint kept at alpha 0 (or the nearest alpha fitted for).
 */
import { Adam } from "../nn/Adam.ts";
import { sigmoid } from "../nn/logistic.ts";
import { quantile } from "../metrics/routing/quantile.ts";
import { routesStrong, sweepThresholds, type SweepThreshold } from "../metrics/routing/thresholdSweep.ts";
import { reward } from "../metrics/reward/reward.ts";
import { assignmentMeans } from "./assignmentMeans.ts";
import { checkAlpha, checkQuery, checkRoutingExamples, type ExampleWidths } from "./checkRoutingExamples.ts";
import { MatrixFactorization, type Battle } from "./MatrixFactorization.ts";
import { isRecordPoint, recordEvery, RewardCheckpoints, type CheckpointSelection } from "./rewardCheckpoints.ts";
import { addL2Gradient, epochsForMinSteps, restoreParameters, shuffleInPlace, snapshotParameters, toFloat64 } from "./trainingHelpers.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";

export interface RouteLlmMfOptions {
  /** Width of the model table and the projected query. Defaults to `128`. */
  dim?: number;
  /** Training epochs over the battles (raised to reach `minSteps`). Defaults to `100`. */
  epochs?: number;
  /** Battles per update. Defaults to `64`. */
  batchSize?: number;
  /** Adam step size. Defaults to `3e-4`. */
  lr?: number;
  /** L2 weight decay added to the gradients, as torch.optim.Adam does. Defaults to `1e-5`. */
  weightDecay?: number;
  /** Std of the Gaussian noise added to the query embedding in training. Defaults to `0.1`. */
  noiseStd?: number;
  /** Least number of Adam updates; the epoch count is raised to reach it. Defaults to `1000`. */
  minSteps?: number;
  /** Win-probability threshold at alpha = 0 of the pair form (the paper's fixed tau, whose value it does not give). Defaults to `0.5`. */
  threshold?: number;
  /** If set, the pair form's alpha = 0 threshold is calibrated on the validation queries to send this share to strong. Defaults to none. */
  strongShare?: number;
  /** Index of the strong assignment. Defaults to the one with the highest mean normalised training cost. */
  strong?: number;
  /** Index of the weak assignment. Defaults to the one with the lowest mean normalised training cost. */
  weak?: number;
  /** `all`: argmax of the predicted win rates over every assignment; `pair`: the original's strong/weak threshold. Defaults to `all`. */
  routing?: "all" | "pair";
}

/** The cost weights lambda the all-assignment form chooses from on the validation split (0 first: ties keep it). */
export const LAMBDA_GRID = [0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10] as const;

/** One point of the router's trade-off curve. */
export interface MfSweepPoint extends SweepThreshold {
  /** Share of items routed to the strong assignment. */
  strongShare: number;
  /** Mean observed quality of the routed assignments. */
  quality: number;
  /** Mean normalised cost of the routed assignments. */
  cost: number;
}

export class RouteLlmMfRouter implements Baseline {
  readonly name: string;
  readonly weighsCost = true;
  readonly options: Required<Omit<RouteLlmMfOptions, "strongShare" | "strong" | "weak">> & Pick<RouteLlmMfOptions, "strongShare" | "strong" | "weak">;
  private model: MatrixFactorization | null = null;
  private widths: ExampleWidths | null = null;
  private strongIndex = -1;
  private weakIndex = -1;
  private tau = 0.5;
  private calibrationSet: readonly RoutingExample[] = [];
  /** lambdaFor's and thresholdFor's values by `name alpha`, at the weights as they are (cleared when they change). */
  private readonly byAlpha = new Map<string, number>();
  private meanCost: Float64Array = new Float64Array(0);
  private checkpoints: RewardCheckpoints<Float32Array[]> | null = null;

  constructor(options: RouteLlmMfOptions = {}) {
    this.options = {
      dim: options.dim ?? 128,
      epochs: options.epochs ?? 100,
      batchSize: options.batchSize ?? 64,
      lr: options.lr ?? 3e-4,
      weightDecay: options.weightDecay ?? 1e-5,
      noiseStd: options.noiseStd ?? 0.1,
      minSteps: options.minSteps ?? 1000,
      threshold: options.threshold ?? 0.5,
      strongShare: options.strongShare,
      strong: options.strong,
      weak: options.weak,
      routing: options.routing ?? "all",
    };
    const o = this.options;
    if (o.routing !== "all" && o.routing !== "pair") throw new Error(`RouteLlmMfRouter: option routing must be "all" or "pair", got ${JSON.stringify(o.routing)}`);
    this.name = o.routing === "all" ? "RouteLLM (MF)" : "RouteLLM (MF, strong/weak)";
    for (const field of ["dim", "epochs", "batchSize"] as const) {
      if (!Number.isInteger(o[field]) || o[field] < 1) throw new Error(`RouteLlmMfRouter: option ${field} must be a positive integer, got ${o[field]}`);
    }
    if (!Number.isInteger(o.minSteps) || o.minSteps < 0) throw new Error(`RouteLlmMfRouter: option minSteps must be an integer >= 0, got ${o.minSteps}`);
    if (!(o.lr > 0)) throw new Error(`RouteLlmMfRouter: option lr must be > 0, got ${o.lr}`);
    if (!(o.weightDecay >= 0) || !(o.noiseStd >= 0)) throw new Error("RouteLlmMfRouter: options weightDecay and noiseStd must be >= 0");
    if (!(o.threshold >= 0 && o.threshold <= 1)) throw new Error(`RouteLlmMfRouter: option threshold must be in [0, 1], got ${o.threshold}`);
    if (o.strongShare !== undefined && !(o.strongShare >= 0 && o.strongShare <= 1)) {
      throw new Error(`RouteLlmMfRouter: option strongShare must be in [0, 1], got ${o.strongShare}`);
    }
  }

  /** The strong and weak assignment indices chosen at fit. */
  get pair(): { strong: number; weak: number } {
    this.requireFitted("pair");
    return { strong: this.strongIndex, weak: this.weakIndex };
  }

  /** The threshold used at alpha = 0. */
  get threshold(): number {
    return this.tau;
  }

  fit(train: readonly RoutingExample[], valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void {
    const count = space.assignments.length;
    if (count < 2) throw new Error(`RouteLlmMfRouter.fit: needs at least 2 assignments to route between, the space has ${count}`);
    if (train.length === 0) throw new Error("RouteLlmMfRouter.fit: the training split is empty");
    const widths = checkRoutingExamples(train, space, "RouteLlmMfRouter.fit: train");
    checkRoutingExamples(valid, space, "RouteLlmMfRouter.fit: valid", widths);
    this.widths = widths;
    this.pickPair(train, count);
    this.meanCost = Float64Array.from(assignmentMeans(train, count).cost);

    const o = this.options;
    const rng = options.rng;
    const model = new MatrixFactorization(count, widths.embedding, o.dim, rng);
    this.model = model;
    const params = [...model.namedParameters()].map(([, p]) => p);
    const adam = new Adam(params, { lr: o.lr });

    const trainX = train.map((ex) => toFloat64(ex.embedding));
    const battles = pairwiseBattles(train);
    if (battles.length === 0) throw new Error("RouteLlmMfRouter.fit: every training item ties on every pair of assignments; there is no battle to learn from");
    const steps = Math.ceil(battles.length / o.batchSize);
    const epochs = epochsForMinSteps(o.epochs, steps, o.minSteps);

    this.calibrationSet = valid.length > 0 ? valid : train;
    const checkpoints = new RewardCheckpoints(valid, train, options.alphas, { take: () => snapshotParameters(params), put: (s) => restoreParameters(params, s) });
    this.checkpoints = null;
    // The decision rule at the weights as they are: lambda, threshold and tau follow the weights.
    const record = (at: { epoch: number; step: number }) => {
      this.byAlpha.clear();
      this.tau = o.strongShare !== undefined ? this.calibrate(this.calibrationSet, o.strongShare) : o.threshold;
      checkpoints.record(at, (ex, a) => this.decide(ex, a));
    };
    const every = recordEvery(epochs);
    let step = 0;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffleInPlace(battles, rng);
      for (let start = 0; start < battles.length; start += o.batchSize) {
        const batch = battles.slice(start, start + o.batchSize);
        adam.zeroGrad();
        model.backward(batch, trainX, { std: o.noiseStd, rng });
        addL2Gradient(params, o.weightDecay);
        adam.step();
        step++;
      }
      if (isRecordPoint(epoch, epochs, every)) record({ epoch, step });
    }
    this.checkpoints = checkpoints;
    this.byAlpha.clear();
    checkpoints.load(0);
    this.tau = o.strongShare !== undefined ? this.calibrate(this.calibrationSet, o.strongShare) : o.threshold;
  }

  /** The kept checkpoint per cost preference and the recorded validation-reward curve. */
  checkpointSelection(): CheckpointSelection | null {
    return this.checkpoints?.selection() ?? null;
  }

  /** Model scores s(a, q) = w^T (P_a/|P_a| * W e_q) for every assignment. */
  scores(example: RoutingExample): Float64Array {
    const m = this.requireFitted("scores");
    checkQuery(example, this.widths!, "RouteLlmMfRouter.scores");
    return m.scores(toFloat64(example.embedding));
  }

  /** P(assignment a beats assignment b on this item) = sigma(s_a - s_b). */
  winProbability(example: RoutingExample, a: number, b: number): number {
    const s = this.scores(example);
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < s.length && b < s.length)) throw new Error(`RouteLlmMfRouter.winProbability: assignments ${a} and ${b} must be below ${s.length}`);
    return sigmoid(s[a] - s[b]);
  }

  /** The strong assignment's predicted win probability over the weak one, per example. */
  winRates(examples: readonly RoutingExample[]): Float64Array {
    return Float64Array.from(examples, (ex) => this.winProbability(ex, this.strongIndex, this.weakIndex));
  }

  /**
   * Sets the alpha = 0 threshold to the (1 - share)-quantile of the win rates on `examples`, so that a share `share` of
   * such queries goes to the strong assignment (RouteLLM's calibrate_threshold). Returns the threshold.
   */
  calibrate(examples: readonly RoutingExample[], share: number): number {
    this.requireFitted("calibrate");
    if (!(share >= 0 && share <= 1)) throw new Error(`RouteLlmMfRouter.calibrate: share must be in [0, 1], got ${share}`);
    if (examples.length === 0) throw new Error("RouteLlmMfRouter.calibrate: no examples to calibrate on");
    this.tau = quantile(this.winRates(examples), 1 - share);
    return this.tau;
  }

  /** Predicted win rate of every assignment against the others: w_a = mean over b != a of sigma(s_a - s_b). */
  assignmentWinRates(example: RoutingExample): Float64Array {
    const s = this.scores(example);
    const n = s.length;
    return Float64Array.from(s, (sa, a) => {
      let total = 0;
      for (let b = 0; b < n; b++) if (b !== a) total += sigmoid(sa - s[b]);
      return total / (n - 1);
    });
  }

  choose(example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "RouteLlmMfRouter.choose");
    this.requireFitted("choose");
    this.checkpoints?.load(alpha);
    return this.decide(example, alpha);
  }

  /** The decision at the weights as they are (the kept checkpoint once fitted). */
  private decide(example: RoutingExample, alpha: number): number {
    if (this.options.routing === "all") return this.chooseAmongAll(this.assignmentWinRates(example), alpha === 0 ? 0 : this.lambdaFor(alpha));
    const threshold = alpha === 0 ? this.tau : this.thresholdFor(alpha);
    return this.winProbability(example, this.strongIndex, this.weakIndex) >= threshold ? this.strongIndex : this.weakIndex;
  }

  /**
   * The all-assignment form's cost weight at cost preference alpha > 0: the value of LAMBDA_GRID whose decisions have
   * the best mean validation reward quality - alpha * cost (the smaller one on ties).
   */
  lambdaFor(alpha: number): number {
    return this.perAlpha("lambdaFor", alpha, () => {
      const set = this.calibrationSet;
      const rates = set.map((ex) => this.assignmentWinRates(ex));
      let best = 0;
      let bestTotal = -Infinity;
      for (const lambda of LAMBDA_GRID) {
        let total = 0;
        set.forEach((ex, i) => {
          const a = this.chooseAmongAll(rates[i], lambda);
          total += reward(ex.quality[a], ex.cost[a], alpha);
        });
        if (total > bestTotal + 1e-12) {
          bestTotal = total;
          best = lambda;
        }
      }
      return best;
    });
  }

  private chooseAmongAll(rates: Float64Array, lambda: number): number {
    let best = 0;
    for (let a = 1; a < rates.length; a++) {
      const v = rates[a] - lambda * this.meanCost[a];
      const vb = rates[best] - lambda * this.meanCost[best];
      if (v > vb + 1e-12 || (Math.abs(v - vb) <= 1e-12 && this.meanCost[a] < this.meanCost[best])) best = a;
    }
    return best;
  }

  /** The pair form's threshold at cost preference alpha > 0: the best mean validation reward over all distinct cut points. */
  thresholdFor(alpha: number): number {
    return this.perAlpha("thresholdFor", alpha, () => {
      const set = this.calibrationSet;
      const rates = this.winRates(set);
      const order = [...rates.keys()].sort((i, j) => rates[j] - rates[i]);
      const s = this.strongIndex;
      const w = this.weakIndex;
      // Routing the k highest win rates to strong: start from all weak and switch items in order of win rate.
      let total = 0;
      for (const ex of set) total += reward(ex.quality[w], ex.cost[w], alpha);
      let bestTotal = total;
      let bestThreshold = Infinity;
      for (let k = 1; k <= order.length; k++) {
        const ex = set[order[k - 1]];
        total += reward(ex.quality[s], ex.cost[s], alpha) - reward(ex.quality[w], ex.cost[w], alpha);
        // A cut is only realisable between different win rates.
        if (k < order.length && rates[order[k]] === rates[order[k - 1]]) continue;
        if (total > bestTotal) {
          bestTotal = total;
          bestThreshold = rates[order[k - 1]];
        }
      }
      return bestThreshold;
    });
  }

  /**
   * `compute`'s value at cost preference alpha for the kept checkpoint of that alpha, computed once per alpha while
   * the weights stay as they are (lambdaFor and thresholdFor).
   */
  private perAlpha(name: "lambdaFor" | "thresholdFor", alpha: number, compute: () => number): number {
    checkAlpha(alpha, `RouteLlmMfRouter.${name}`);
    this.requireFitted(name);
    this.checkpoints?.load(alpha);
    const key = `${name} ${alpha}`;
    let value = this.byAlpha.get(key);
    if (value === undefined) {
      value = compute();
      this.byAlpha.set(key, value);
    }
    return value;
  }

  /**
   * RouteLLM's evaluation curve on `examples`: the thresholds are the `bins` + 1 quantile edges of the win rates on the
   * same examples (evals/benchmarks.py); each point gives the strong share and the observed quality and cost.
   */
  sweep(examples: readonly RoutingExample[], bins = 10): MfSweepPoint[] {
    this.requireFitted("sweep");
    if (examples.length === 0) throw new Error("RouteLlmMfRouter.sweep: no examples");
    this.checkpoints?.load(0);
    const rates = this.winRates(examples);
    return sweepThresholds(rates, bins).map((at) => {
      let strong = 0;
      let quality = 0;
      let cost = 0;
      examples.forEach((ex, i) => {
        const a = routesStrong(rates[i], at) ? this.strongIndex : this.weakIndex;
        if (a === this.strongIndex) strong++;
        quality += ex.quality[a];
        cost += ex.cost[a];
      });
      const n = examples.length;
      return { ...at, strongShare: strong / n, quality: quality / n, cost: cost / n };
    });
  }

  private pickPair(train: readonly RoutingExample[], count: number): void {
    const o = this.options;
    for (const field of ["strong", "weak"] as const) {
      const v = o[field];
      if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < count)) throw new Error(`RouteLlmMfRouter: option ${field} must be an assignment index below ${count}, got ${v}`);
    }
    const means = assignmentMeans(train, count);
    const indices = [...Array(count).keys()];
    const allSameCost = indices.every((a) => means.cost[a] === means.cost[0]);
    // Without a cost difference there is no costlier configuration; fall back to the better and the worse one.
    const key = allSameCost ? means.quality : means.cost;
    const strong = o.strong ?? indices.reduce((b, a) => (key[a] > key[b] || (key[a] === key[b] && means.quality[a] > means.quality[b]) ? a : b), 0);
    const rest = indices.filter((a) => a !== strong);
    const weak = o.weak ?? rest.reduce((b, a) => (key[a] < key[b] || (key[a] === key[b] && means.quality[a] > means.quality[b]) ? a : b), rest[0]);
    if (strong === weak) throw new Error(`RouteLlmMfRouter: the strong and weak assignments are both ${strong}`);
    this.strongIndex = strong;
    this.weakIndex = weak;
  }

  private requireFitted(what: string): MatrixFactorization {
    if (!this.model) throw new Error(`RouteLlmMfRouter.${what}: call fit first`);
    return this.model;
  }
}

/** Battles from the action-level data: per item and pair of assignments, the higher quality wins; ties are dropped. */
export function pairwiseBattles(examples: readonly RoutingExample[]): Battle[] {
  const battles: Battle[] = [];
  examples.forEach((ex, i) => {
    for (let a = 0; a < ex.quality.length; a++) {
      for (let b = a + 1; b < ex.quality.length; b++) {
        if (ex.quality[a] > ex.quality[b]) battles.push({ example: i, win: a, lose: b });
        else if (ex.quality[b] > ex.quality[a]) battles.push({ example: i, win: b, lose: a });
      }
    }
  });
  return battles;
}
