/**
 * GraphRouter (Feng et al., arXiv 2410.03834; ulab-uiuc/GraphRouter, model/graph_nn.py).
 *
 * What the original does: it builds one heterogeneous graph of queries and LLMs, with one edge per (query, LLM)
 * carrying the observed performance, cost and their utility under a setting (Performance First, Balance, Cost First;
 * see `graphRouterSettings.ts`). Query nodes come from embeddings of the query and its task description, LLM nodes
 * from an embedding of a textual descriptor of the LLM. A small GNN (`GraphRouterNet.ts`) predicts edges: each
 * training epoch draws `batch_size` (32) random splits of the training edges into visible (train_mask_rate 0.5)
 * and hidden ones, scores the hidden ones against the one-hot label "this LLM has the highest utility for the query"
 * (BCE), averages the losses and takes one AdamW step (lr 3e-4, wd 1e-4, h = 8, 1000 epochs). After every epoch it
 * predicts the validation edges with the training edges visible and keeps the weights with the best macro-F1 of the
 * argmax LLM. A test query's edges are hidden, the training and validation edges visible, and it routes to the argmax.
 *
 * What we kept: the network, the labels, the random-split training scheme with its hyperparameters except two, model
 * selection after every epoch, eval-mode BatchNorm at inference, and inductive routing of unseen queries. Selection
 * is on the mean validation reward quality - alpha * cost of the argmax assignment at the network's alpha instead of
 * macro-F1 (rewardCheckpoints.ts: every method of `haps eval` keeps its checkpoint by the metric it is scored on);
 * without validation items the last epoch is kept.
 *
 * Changed defaults: lr 3e-3 (the original's 3e-4 under-trains four LLM nodes on a few hundred edges: on the planted
 * four-assignment problem of GraphRouter.test.ts 1000 epochs at 3e-4 reach held-out quality 0.62, 1000 at 3e-3 reach
 * 0.975 with the best validation epoch at 315) and 400 epochs (the same 0.975, the kept epoch being 315, at 2/5 of
 * the time). `haps eval` tunes both further on the validation items (evaluation/tuning).
 *
 * How we adapted it to two agents with M candidates:
 *  - the LLM nodes are the M^N assignments, each described by the text naming every agent's role and model (the
 *    paper instantiates descriptors for its two candidates); the caller embeds these descriptors, the queries and
 *    (optionally) the task descriptions with one embedding model;
 *  - performance is the assignment's observed quality and cost its normalised cost on the item;
 *  - the graph holds the training and validation queries (the original also holds its test queries as nodes with
 *    hidden edges, which only shifts BatchNorm's training statistics; ours never sees test items before `choose`);
 *  - the main table uses Performance First (alpha = 0). For a cost preference alpha > 0 one network is trained per
 *    alpha (listed in `fit`'s `alphas`) with the setting (1, alpha)/(1 + alpha), whose utility ranks assignments as
 *    the reward quality - alpha * cost does; `settings` maps an alpha to another setting, e.g. BALANCE or COST_FIRST.
 */
import { Adam } from "../nn/Adam.ts";
import type { EdgeList } from "../nn/GeneralConv.ts";
import { sigmoid } from "../nn/logistic.ts";
import type { Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import { requireAssignmentEmbeddings } from "./assignmentSpace.ts";
import { checkAlpha, checkQuery, checkRoutingExamples, type ExampleWidths } from "./checkRoutingExamples.ts";
import { EDGE_FEATURES, GraphRouterNet, type QueryNodeInput } from "./GraphRouterNet.ts";
import { concatEdges, edgesOf, subset, type Edges } from "./graphRouterEdges.ts";
import { settingForAlpha, type GraphRouterSetting } from "./graphRouterSettings.ts";
import { RewardCheckpoints, type CheckpointSelection } from "./rewardCheckpoints.ts";
import { argmax, restoreParameters, snapshotParameters, toFloat64 } from "./trainingHelpers.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";

export interface GraphRouterOptions {
  /** h: the aligned query half-width (nodes are 2h wide). Defaults to `8`. */
  hidden?: number;
  /** AdamW step size. Defaults to `3e-3` (the original's 3e-4 under-trains here; see the header). */
  lr?: number;
  /** AdamW decoupled weight decay. Defaults to `1e-4`. */
  weightDecay?: number;
  /** Epochs, one optimiser step each. Defaults to `400` (the original: 1000; see the header). */
  epochs?: number;
  /** Random visible/hidden splits of the training edges averaged per step (the original's batch_size). Defaults to `32`. */
  splitsPerEpoch?: number;
  /** Share of training edges visible in each split (train_mask_rate). Defaults to `0.5`. */
  maskRate?: number;
  /** Utility setting per alpha, overriding `settingForAlpha` (e.g. `{ 0.8: COST_FIRST }`). Defaults to none. */
  settings?: Readonly<Record<number, GraphRouterSetting>>;
}

/** One trained network and what routing with it needs. */
interface TrainedGraph {
  setting: GraphRouterSetting;
  net: GraphRouterNet;
  /** Encoded LLM (assignment) nodes with the training and validation edges visible, assignments x 2h. */
  llmEncoded: Float64Array;
  /** Validation reward at the network's alpha, per recorded epoch, and the kept one (absent without a validation split). */
  selection: CheckpointSelection | null;
  /** The kept epoch (0-based). */
  bestEpoch: number;
}

interface GraphData {
  queries: QueryNodeInput[];
  llms: Float64Array[];
  /** Query count (training then validation queries); LLM node j is row queryCount + j. */
  queryCount: number;
  trainCount: number;
  nodes: number;
}

export class GraphRouter implements Baseline {
  readonly name = "GraphRouter";
  readonly weighsCost = true;
  readonly options: Required<Omit<GraphRouterOptions, "settings">> & Pick<GraphRouterOptions, "settings">;
  private readonly trained = new Map<number, TrainedGraph>();
  private widths: ExampleWidths | null = null;

  constructor(options: GraphRouterOptions = {}) {
    this.options = {
      hidden: options.hidden ?? 8,
      lr: options.lr ?? 3e-3,
      weightDecay: options.weightDecay ?? 1e-4,
      epochs: options.epochs ?? 400,
      splitsPerEpoch: options.splitsPerEpoch ?? 32,
      maskRate: options.maskRate ?? 0.5,
      settings: options.settings,
    };
    const o = this.options;
    for (const field of ["hidden", "epochs", "splitsPerEpoch"] as const) {
      if (!Number.isInteger(o[field]) || o[field] < 1) throw new Error(`GraphRouter: option ${field} must be a positive integer, got ${o[field]}`);
    }
    if (!(o.lr > 0)) throw new Error(`GraphRouter: option lr must be > 0, got ${o.lr}`);
    if (!(o.weightDecay >= 0)) throw new Error(`GraphRouter: option weightDecay must be >= 0, got ${o.weightDecay}`);
    if (!(o.maskRate > 0 && o.maskRate < 1)) throw new Error(`GraphRouter: option maskRate must be in (0, 1), got ${o.maskRate}`);
  }

  /** The utility setting used for a cost preference. */
  settingFor(alpha: number): GraphRouterSetting {
    checkAlpha(alpha, "GraphRouter.settingFor");
    return this.options.settings?.[alpha] ?? settingForAlpha(alpha);
  }

  fit(train: readonly RoutingExample[], valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void {
    if (train.length === 0) throw new Error("GraphRouter.fit: the training split is empty");
    const widths = checkRoutingExamples(train, space, "GraphRouter.fit: train");
    checkRoutingExamples(valid, space, "GraphRouter.fit: valid", widths);
    const llms = requireAssignmentEmbeddings(space, "GraphRouter.fit").map(toFloat64);
    this.widths = widths;
    this.trained.clear();
    const all = [...train, ...valid];
    const graph: GraphData = {
      queries: all.map((ex) => this.queryInput(ex)),
      llms,
      queryCount: all.length,
      trainCount: train.length,
      nodes: all.length + llms.length,
    };
    const alphas = options.alphas ?? [0];
    for (const alpha of alphas) {
      checkAlpha(alpha, "GraphRouter.fit: alphas");
      if (!this.trained.has(alpha)) this.trained.set(alpha, this.train(train, valid, graph, alpha, options.rng));
    }
  }

  /** Predicted edge probabilities sigma(mean(x_ini[q] * x[m])) of every assignment for this item. */
  edgeProbabilities(example: RoutingExample, alpha: number): Float64Array {
    const t = this.trainedFor(alpha, "edgeProbabilities");
    checkQuery(example, this.widths!, "GraphRouter.edgeProbabilities");
    const x = t.net.alignQuery(this.queryInput(example));
    const w = t.net.width;
    const count = t.llmEncoded.length / w;
    return Float64Array.from({ length: count }, (_, m) => sigmoid(t.net.edgeLogit(x, t.llmEncoded.subarray(m * w, (m + 1) * w))));
  }

  choose(example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "GraphRouter.choose");
    return argmax(this.edgeProbabilities(example, alpha));
  }

  /** Validation reward of the kept network for an alpha (NaN without validation items), its epoch (0-based) and setting. */
  selection(alpha: number): { validReward: number; bestEpoch: number; setting: GraphRouterSetting } {
    const t = this.trainedFor(alpha, "selection");
    return { validReward: t.selection?.kept[String(alpha)].validReward ?? Number.NaN, bestEpoch: t.bestEpoch, setting: t.setting };
  }

  /** The kept checkpoint of each alpha's network and their validation-reward curves (null without validation items). */
  checkpointSelection(): CheckpointSelection | null {
    const all = [...this.trained.values()].map((t) => t.selection).filter((x): x is CheckpointSelection => x != null);
    if (all.length === 0) return null;
    return {
      kept: Object.assign({}, ...all.map((x) => x.kept)),
      curve: all[0].curve.map((p, i) => ({ ...p, validReward: Object.assign({}, ...all.map((x) => x.curve[i]?.validReward ?? {})) })),
      judgedOn: "valid",
    };
  }

  private trainedFor(alpha: number, what: string): TrainedGraph {
    checkAlpha(alpha, `GraphRouter.${what}`);
    if (this.trained.size === 0) throw new Error(`GraphRouter.${what}: call fit first`);
    const t = this.trained.get(alpha);
    if (!t) throw new Error(`GraphRouter.${what}: no network was trained for alpha ${alpha} (fitted for ${[...this.trained.keys()].join(", ")}); list it in fit's alphas`);
    return t;
  }

  private queryInput(ex: RoutingExample): QueryNodeInput {
    // Without task embeddings all items are one task: a constant input, so the task half is a learned constant.
    return { task: ex.taskEmbedding ? toFloat64(ex.taskEmbedding) : Float64Array.of(1), query: toFloat64(ex.embedding) };
  }

  private train(train: readonly RoutingExample[], valid: readonly RoutingExample[], graph: GraphData, alpha: number, rng: Rng): TrainedGraph {
    const setting = this.settingFor(alpha);
    const o = this.options;
    const count = graph.llms.length;
    const taskWidth = graph.queries[0].task.length;
    const net = new GraphRouterNet(taskWidth, graph.queries[0].query.length, graph.llms[0].length, o.hidden, rng);
    const params = [...net.namedParameters()].map(([, p]) => p);
    const adam = new Adam(params, { lr: o.lr, weightDecay: o.weightDecay });
    const w = net.width;

    const trainEdges = edgesOf(train, 0, graph.queryCount, setting);
    const validEdges = edgesOf(valid, graph.trainCount, graph.queryCount, setting);
    const allVisible: { edges: EdgeList; raw: Float64Array } = { edges: { src: trainEdges.src, dst: trainEdges.dst }, raw: trainEdges.features };

    const checkpoints = new RewardCheckpoints(valid, train, [alpha], { take: () => snapshotGraph(net, params), put: (s) => restoreGraph(net, params, s) });
    const validIndex = new Map(valid.map((ex, i) => [ex, i]));
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      adam.zeroGrad();
      // The alignment and the edge features depend on the weights only, which change once per epoch, so they are
      // computed once and their gradients gathered over all splits.
      const aligned = net.align(graph.queries, graph.llms);
      const dAligned = new Float64Array(aligned.output.length);
      const edgeTrace = net.edgeFeatures(trainEdges.features);
      const dEdge = new Float64Array(edgeTrace.output.length);
      for (let s = 0; s < o.splitsPerEpoch; s++) {
        const visible: number[] = [];
        const hidden: number[] = [];
        for (let e = 0; e < trainEdges.label.length; e++) (rng.uniform() < o.maskRate ? visible : hidden).push(e);
        if (hidden.length === 0) continue;
        const sub = subset(trainEdges, visible, edgeTrace.output);
        const enc = net.encode(aligned.output, graph.nodes, sub.edges, sub.features, true);
        const dEncoded = new Float64Array(enc.output.length);
        const scale = 1 / (hidden.length * o.splitsPerEpoch * w);
        for (const e of hidden) {
          const q = trainEdges.src[e];
          const m = trainEdges.dst[e];
          const xq = aligned.output.subarray(q * w, (q + 1) * w);
          const xm = enc.output.subarray(m * w, (m + 1) * w);
          const g = (sigmoid(net.edgeLogit(xq, xm)) - trainEdges.label[e]) * scale;
          for (let k = 0; k < w; k++) {
            dAligned[q * w + k] += g * xm[k];
            dEncoded[m * w + k] += g * xq[k];
          }
        }
        const back = net.encodeBackward(enc, dEncoded);
        for (let i = 0; i < back.dx.length; i++) dAligned[i] += back.dx[i];
        visible.forEach((e, k) => {
          for (let j = 0; j < EDGE_FEATURES; j++) dEdge[e * EDGE_FEATURES + j] += back.dEdgeFeatures[k * EDGE_FEATURES + j];
        });
      }
      net.alignBackward(aligned, dAligned);
      net.edgeFeaturesBackward(edgeTrace, dEdge);
      adam.step();

      if (valid.length > 0) {
        const choices = this.predictValid(net, graph, allVisible, validEdges, valid.length, count);
        checkpoints.record({ epoch: epoch + 1, step: epoch + 1 }, (ex) => choices[validIndex.get(ex)!]);
      }
    }
    const selection = valid.length > 0 ? checkpoints.selection() : null;
    if (selection) checkpoints.load(alpha);
    const bestEpoch = selection ? selection.kept[String(alpha)].epoch - 1 : o.epochs - 1;

    // Inference graph: training and validation edges visible, BatchNorm on its running statistics.
    const everything = valid.length > 0 ? concatEdges(trainEdges, validEdges) : trainEdges;
    const aligned = net.align(graph.queries, graph.llms);
    const enc = net.encode(aligned.output, graph.nodes, { src: everything.src, dst: everything.dst }, net.edgeFeatures(everything.features).output, false);
    const llmEncoded = enc.output.slice(graph.queryCount * w, graph.nodes * w);
    return { setting, net, llmEncoded, selection, bestEpoch };
  }

  /** Argmax assignment of each validation query, with the training edges visible (eval mode). */
  private predictValid(
    net: GraphRouterNet,
    graph: GraphData,
    visible: { edges: EdgeList; raw: Float64Array },
    validEdges: Edges,
    validCount: number,
    count: number,
  ): number[] {
    const w = net.width;
    const aligned = net.align(graph.queries, graph.llms);
    const enc = net.encode(aligned.output, graph.nodes, visible.edges, net.edgeFeatures(visible.raw).output, false);
    const logits = Array.from({ length: validCount }, () => new Float64Array(count));
    for (let e = 0; e < validEdges.label.length; e++) {
      const q = validEdges.src[e];
      const m = validEdges.dst[e];
      logits[q - graph.trainCount][m - graph.queryCount] = net.edgeLogit(aligned.output.subarray(q * w, (q + 1) * w), enc.output.subarray(m * w, (m + 1) * w));
    }
    return logits.map(argmax);
  }
}

interface GraphSnapshot {
  params: Float32Array[];
  bn: { mean: Float64Array; variance: Float64Array }[];
}

function snapshotGraph(net: GraphRouterNet, params: readonly Parameter[]): GraphSnapshot {
  return { params: snapshotParameters(params), bn: [net.bn1.runningStatistics(), net.bn2.runningStatistics()] };
}

function restoreGraph(net: GraphRouterNet, params: readonly Parameter[], s: GraphSnapshot): void {
  restoreParameters(params, s.params);
  net.bn1.setRunningStatistics(s.bn[0]);
  net.bn2.setRunningStatistics(s.bn[1]);
}
