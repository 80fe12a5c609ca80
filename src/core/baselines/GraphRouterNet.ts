/**
 * GraphRouter's encoder-decoder network (model/graph_nn.py), h = the embedding dimension:
 *
 *  - feature alignment: a query node is [Lin(task embedding -> h); Lin(query embedding -> h)], an LLM node
 *    Lin(descriptor embedding -> 2h); these are x_ini;
 *  - visible edges carry ReLU(Lin([utility, cost, performance]) -> 3) as edge features, shared by both layers;
 *  - two GeneralConv layers (2h wide, messages along the query -> LLM edges), each followed by BatchNorm, with a ReLU
 *    after the first: x = BN2(conv2(ReLU(BN1(conv1(x_ini))))). Query nodes receive no message, so only the LLM nodes
 *    learn from the graph; BatchNorm still normalises over all nodes;
 *  - an edge (q, m) to predict scores sigma(mean_k(x_ini[q]_k * x[m]_k)): the query's aligned features against the
 *    LLM's encoded ones. A new query therefore needs only its own alignment, which makes the model inductive.
 *
 * Node matrices are flat, row-major: the query nodes first, then the LLM nodes.
 */
import { BatchNorm } from "../nn/BatchNorm.ts";
import { GeneralConv, type EdgeList, type GeneralConvTrace } from "../nn/GeneralConv.ts";
import type { BatchNormTrace } from "../nn/BatchNorm.ts";
import { Linear } from "../nn/Linear.ts";
import type { Module, Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";

/** Width of the raw edge features [utility, cost, performance]. */
export const EDGE_FEATURES = 3;

/** What a query node is built from. */
export interface QueryNodeInput {
  task: Float64Array;
  query: Float64Array;
}

export interface AlignTrace {
  queries: readonly QueryNodeInput[];
  llms: readonly Float64Array[];
  /** x_ini, (queries + llms) x 2h. */
  output: Float64Array;
}

/** Edge features ReLU(Lin(raw)) for a set of edges, with what their backward pass needs. */
export interface EdgeFeatureTrace {
  raw: Float64Array;
  pre: Float64Array;
  /** edges x 3. */
  output: Float64Array;
}

export interface EncodeTrace {
  nodes: number;
  conv1: GeneralConvTrace;
  bn1: BatchNormTrace;
  conv2: GeneralConvTrace;
  bn2: BatchNormTrace;
  /** The encoded node features, nodes x 2h. */
  output: Float64Array;
}

export class GraphRouterNet implements Module {
  readonly width: number;
  readonly taskAlign: Linear;
  readonly queryAlign: Linear;
  readonly llmAlign: Linear;
  readonly edgeMlp: Linear;
  readonly conv1: GeneralConv;
  readonly conv2: GeneralConv;
  readonly bn1: BatchNorm;
  readonly bn2: BatchNorm;

  constructor(
    readonly taskWidth: number,
    readonly queryWidth: number,
    readonly llmWidth: number,
    readonly hidden: number,
    rng: Rng,
  ) {
    this.width = 2 * hidden;
    this.taskAlign = new Linear(taskWidth, hidden, rng);
    this.queryAlign = new Linear(queryWidth, hidden, rng);
    this.llmAlign = new Linear(llmWidth, this.width, rng);
    this.edgeMlp = new Linear(EDGE_FEATURES, EDGE_FEATURES, rng);
    this.conv1 = new GeneralConv(this.width, EDGE_FEATURES, rng);
    this.conv2 = new GeneralConv(this.width, EDGE_FEATURES, rng);
    this.bn1 = new BatchNorm(this.width);
    this.bn2 = new BatchNorm(this.width);
  }

  /** x_ini for one query node. */
  alignQuery(q: QueryNodeInput): Float64Array {
    const out = new Float64Array(this.width);
    out.set(this.taskAlign.forward(q.task), 0);
    out.set(this.queryAlign.forward(q.query), this.hidden);
    return out;
  }

  align(queries: readonly QueryNodeInput[], llms: readonly Float64Array[]): AlignTrace {
    const w = this.width;
    const output = new Float64Array((queries.length + llms.length) * w);
    queries.forEach((q, i) => output.set(this.alignQuery(q), i * w));
    llms.forEach((e, j) => output.set(this.llmAlign.forward(e), (queries.length + j) * w));
    return { queries, llms, output };
  }

  alignBackward(trace: AlignTrace, dx: Float64Array): void {
    const w = this.width;
    const h = this.hidden;
    trace.queries.forEach((q, i) => {
      this.taskAlign.backward(q.task, dx.subarray(i * w, i * w + h), false);
      this.queryAlign.backward(q.query, dx.subarray(i * w + h, (i + 1) * w), false);
    });
    const offset = trace.queries.length;
    trace.llms.forEach((e, j) => this.llmAlign.backward(e, dx.subarray((offset + j) * w, (offset + j + 1) * w), false));
  }

  /** ReLU(Lin([utility, cost, performance])) for each edge (raw: edges x 3). */
  edgeFeatures(raw: Float64Array): EdgeFeatureTrace {
    if (raw.length % EDGE_FEATURES !== 0) throw new Error(`GraphRouterNet.edgeFeatures: ${raw.length} values are not edges x ${EDGE_FEATURES}`);
    const wt = this.edgeMlp.weight.data;
    const b = this.edgeMlp.bias.data;
    const pre = new Float64Array(raw.length);
    const output = new Float64Array(raw.length);
    for (let e = 0; e < raw.length; e += EDGE_FEATURES) {
      for (let o = 0; o < EDGE_FEATURES; o++) {
        let v = b[o];
        for (let i = 0; i < EDGE_FEATURES; i++) v += wt[o * EDGE_FEATURES + i] * raw[e + i];
        pre[e + o] = v;
        output[e + o] = v > 0 ? v : 0;
      }
    }
    return { raw, pre, output };
  }

  edgeFeaturesBackward(trace: EdgeFeatureTrace, dOut: Float64Array): void {
    const gw = this.edgeMlp.weight.grad;
    const gb = this.edgeMlp.bias.grad;
    for (let e = 0; e < trace.raw.length; e += EDGE_FEATURES) {
      for (let o = 0; o < EDGE_FEATURES; o++) {
        if (!(trace.pre[e + o] > 0)) continue;
        const g = dOut[e + o];
        gb[o] += g;
        for (let i = 0; i < EDGE_FEATURES; i++) gw[o * EDGE_FEATURES + i] += g * trace.raw[e + i];
      }
    }
  }

  /** Runs both layers over the visible edges, whose features come from `edgeFeatures` (visible edges x 3). */
  encode(x: Float64Array, nodes: number, visible: EdgeList, edgeFeatures: Float64Array, training: boolean): EncodeTrace {
    const conv1 = this.conv1.forward(x, nodes, visible, edgeFeatures);
    const bn1 = this.bn1.forward(conv1.output, nodes, training);
    const relu1 = new Float64Array(bn1.output.length);
    for (let i = 0; i < relu1.length; i++) relu1[i] = bn1.output[i] > 0 ? bn1.output[i] : 0;
    const conv2 = this.conv2.forward(relu1, nodes, visible, edgeFeatures);
    const bn2 = this.bn2.forward(conv2.output, nodes, training);
    return { nodes, conv1, bn1, conv2, bn2, output: bn2.output };
  }

  /**
   * Accumulates the layers' gradients from dL/d(output) and returns dL/dx (the aligned features) and dL/d(edge
   * features) of the visible edges, which both layers read.
   */
  encodeBackward(trace: EncodeTrace, dOut: Float64Array): { dx: Float64Array; dEdgeFeatures: Float64Array } {
    const back2 = this.conv2.backward(trace.conv2, this.bn2.backward(trace.bn2, dOut));
    const dBn1 = back2.dx;
    for (let i = 0; i < dBn1.length; i++) if (!(trace.bn1.output[i] > 0)) dBn1[i] = 0;
    const back1 = this.conv1.backward(trace.conv1, this.bn1.backward(trace.bn1, dBn1));
    const dEdgeFeatures = back1.dEdgeAttr;
    for (let i = 0; i < dEdgeFeatures.length; i++) dEdgeFeatures[i] += back2.dEdgeAttr[i];
    return { dx: back1.dx, dEdgeFeatures };
  }

  /** The edge logit mean_k(a_k * b_k) for a query's aligned features and an LLM's encoded ones. */
  edgeLogit(queryAligned: ArrayLike<number>, llmEncoded: ArrayLike<number>): number {
    let s = 0;
    for (let k = 0; k < this.width; k++) s += queryAligned[k] * llmEncoded[k];
    return s / this.width;
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    const parts: [string, Module][] = [
      ["taskAlign.", this.taskAlign],
      ["queryAlign.", this.queryAlign],
      ["llmAlign.", this.llmAlign],
      ["edgeMlp.", this.edgeMlp],
      ["conv1.", this.conv1],
      ["conv2.", this.conv2],
      ["bn1.", this.bn1],
      ["bn2.", this.bn2],
    ];
    for (const [prefix, m] of parts) for (const [name, p] of m.namedParameters()) yield [prefix + name, p];
  }
}
