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
 * What we kept: the network, the labels, the random-split training scheme with its hyperparameters, model selection
 * by validation macro-F1, eval-mode BatchNorm at inference, and inductive routing of unseen queries.
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
import { graphRouterLabel, settingForAlpha, utility, type GraphRouterSetting } from "./graphRouterSettings.ts";
import { argmax, restoreParameters, snapshotParameters, toFloat64 } from "./trainingHelpers.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";

export interface GraphRouterOptions {
  /** h: the aligned query half-width (nodes are 2h wide). Defaults to `8`. */
  hidden?: number;
  /** AdamW step size. Defaults to `3e-4`. */
  lr?: number;
  /** AdamW decoupled weight decay. Defaults to `1e-4`. */
  weightDecay?: number;
  /** Epochs, one optimiser step each. Defaults to `1000`. */
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
  /** Best validation macro-F1 (NaN without a validation split) and the epoch it came from. */
  validF1: number;
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
      lr: options.lr ?? 3e-4,
      weightDecay: options.weightDecay ?? 1e-4,
      epochs: options.epochs ?? 1000,
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
      if (!this.trained.has(alpha)) this.trained.set(alpha, this.train(train, valid, graph, this.settingFor(alpha), options.rng));
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

  /** Validation macro-F1 of the kept network for an alpha, and its epoch (0-based). */
  selection(alpha: number): { validF1: number; bestEpoch: number; setting: GraphRouterSetting } {
    const t = this.trainedFor(alpha, "selection");
    return { validF1: t.validF1, bestEpoch: t.bestEpoch, setting: t.setting };
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

  private train(train: readonly RoutingExample[], valid: readonly RoutingExample[], graph: GraphData, setting: GraphRouterSetting, rng: Rng): TrainedGraph {
    const o = this.options;
    const count = graph.llms.length;
    const taskWidth = graph.queries[0].task.length;
    const net = new GraphRouterNet(taskWidth, graph.queries[0].query.length, graph.llms[0].length, o.hidden, rng);
    const params = [...net.namedParameters()].map(([, p]) => p);
    const adam = new Adam(params, { lr: o.lr, weightDecay: o.weightDecay });
    const w = net.width;

    const trainEdges = edgesOf(train, 0, graph.queryCount, setting);
    const validEdges = edgesOf(valid, graph.trainCount, graph.queryCount, setting);
    const validLabels = valid.map((ex) => graphRouterLabel(ex.quality, ex.cost, setting));
    const allVisible: { edges: EdgeList; raw: Float64Array } = { edges: { src: trainEdges.src, dst: trainEdges.dst }, raw: trainEdges.features };

    let best = -Infinity;
    let bestEpoch = -1;
    let bestSnapshot = snapshotGraph(net, params);
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
        const f1 = macroF1(validLabels, this.predictValid(net, graph, allVisible, validEdges, valid.length, count));
        if (f1 > best) {
          best = f1;
          bestEpoch = epoch;
          bestSnapshot = snapshotGraph(net, params);
        }
      }
    }
    if (valid.length > 0) restoreGraph(net, params, bestSnapshot);
    else bestEpoch = o.epochs - 1;

    // Inference graph: training and validation edges visible, BatchNorm on its running statistics.
    const everything = valid.length > 0 ? concatEdges(trainEdges, validEdges) : trainEdges;
    const aligned = net.align(graph.queries, graph.llms);
    const enc = net.encode(aligned.output, graph.nodes, { src: everything.src, dst: everything.dst }, net.edgeFeatures(everything.features).output, false);
    const llmEncoded = enc.output.slice(graph.queryCount * w, graph.nodes * w);
    return { setting, net, llmEncoded, validF1: valid.length > 0 ? best : NaN, bestEpoch };
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

/** Edges of a split: query node -> assignment node, with raw features [utility, cost, performance] and labels. */
interface Edges {
  src: Int32Array;
  dst: Int32Array;
  features: Float64Array;
  label: Float64Array;
}

function edgesOf(examples: readonly RoutingExample[], firstNode: number, queryCount: number, setting: GraphRouterSetting): Edges {
  const count = examples[0]?.quality.length ?? 0;
  const n = examples.length * count;
  const edges: Edges = { src: new Int32Array(n), dst: new Int32Array(n), features: new Float64Array(n * EDGE_FEATURES), label: new Float64Array(n) };
  examples.forEach((ex, i) => {
    const best = graphRouterLabel(ex.quality, ex.cost, setting);
    for (let m = 0; m < count; m++) {
      const e = i * count + m;
      edges.src[e] = firstNode + i;
      edges.dst[e] = queryCount + m;
      edges.features.set([utility(ex.quality[m], ex.cost[m], setting), ex.cost[m], ex.quality[m]], e * EDGE_FEATURES);
      edges.label[e] = m === best ? 1 : 0;
    }
  });
  return edges;
}

/** The kept edges and their rows of `features` (edges x 3, one row per edge of `edges`). */
function subset(edges: Edges, keep: readonly number[], features: Float64Array): { edges: EdgeList; features: Float64Array } {
  const src = new Int32Array(keep.length);
  const dst = new Int32Array(keep.length);
  const out = new Float64Array(keep.length * EDGE_FEATURES);
  keep.forEach((e, k) => {
    src[k] = edges.src[e];
    dst[k] = edges.dst[e];
    for (let j = 0; j < EDGE_FEATURES; j++) out[k * EDGE_FEATURES + j] = features[e * EDGE_FEATURES + j];
  });
  return { edges: { src, dst }, features: out };
}

function concatEdges(a: Edges, b: Edges): Edges {
  const join = <T extends Int32Array | Float64Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x, 0);
    out.set(y, x.length);
    return out;
  };
  return {
    src: join(a.src, b.src, (n) => new Int32Array(n)),
    dst: join(a.dst, b.dst, (n) => new Int32Array(n)),
    features: join(a.features, b.features, (n) => new Float64Array(n)),
    label: join(a.label, b.label, (n) => new Float64Array(n)),
  };
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

/**
 * Macro-averaged F1 over the labels that occur in either list (scikit-learn's f1_score(average="macro"); a label
 * with no true or predicted positive scores 0).
 */
export function macroF1(labels: readonly number[], predictions: readonly number[]): number {
  if (labels.length !== predictions.length) throw new Error(`macroF1: ${labels.length} labels but ${predictions.length} predictions`);
  if (labels.length === 0) throw new Error("macroF1: no labels");
  const classes = [...new Set([...labels, ...predictions])];
  let sum = 0;
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    labels.forEach((y, i) => {
      const p = predictions[i];
      if (p === c && y === c) tp++;
      else if (p === c) fp++;
      else if (y === c) fn++;
    });
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / classes.length;
}
