import { Linear } from "./Linear.ts";
import type { Module, Parameter } from "./Parameter.ts";
import type { Rng } from "./Rng.ts";
import { requirePositiveInt } from "./vector.ts";

/** Directed edges src -> dst between the rows of a node matrix; messages flow from src to dst. */
export interface EdgeList {
  src: Int32Array;
  dst: Int32Array;
}

/** What `GeneralConv.forward` keeps for its backward pass. */
export interface GeneralConvTrace {
  nodes: number;
  edges: EdgeList;
  /** Per node: the sum of its incoming neighbours' features (nodes x width). */
  neighbourSum: Float64Array;
  /** Per node: the sum of its incoming edges' features (nodes x edgeWidth). */
  edgeSum: Float64Array;
  /** Per node: the number of incoming edges. */
  inDegree: Int32Array;
  output: Float64Array;
}

/**
 * One message-passing layer in the configuration of PyTorch Geometric's `GeneralConv` that GraphRouter uses
 * (in = out channels, directed messages, sum aggregation, one head, no attention, no skip linear):
 *
 *   out_i = x_i + sum over edges j -> i of (W_msg x_j + b_msg + W_edge e_ji + b_edge)
 *
 * The self term is the identity because PyG only adds a linear skip when the widths differ. Since the message is
 * linear in x_j and e_ji, the sum is taken first and multiplied once per receiving node, which makes a layer cost
 * O(edges * width + receivers * width^2) instead of a matrix product per edge; the result is the same.
 * Node and edge features are flat row-major matrices.
 */
export class GeneralConv implements Module {
  readonly message: Linear;
  readonly edge: Linear;

  constructor(
    readonly width: number,
    readonly edgeWidth: number,
    rng: Rng,
  ) {
    requirePositiveInt(width, "GeneralConv: width");
    requirePositiveInt(edgeWidth, "GeneralConv: edgeWidth");
    this.message = new Linear(width, width, rng);
    this.edge = new Linear(edgeWidth, width, rng);
  }

  forward(x: Float64Array, nodes: number, edges: EdgeList, edgeAttr: Float64Array): GeneralConvTrace {
    const w = this.width;
    const ew = this.edgeWidth;
    const count = edges.src.length;
    if (x.length !== nodes * w) throw new Error(`GeneralConv.forward: expected ${nodes} x ${w} node values, got ${x.length}`);
    if (edges.dst.length !== count) throw new Error(`GeneralConv.forward: ${count} edge sources but ${edges.dst.length} destinations`);
    if (edgeAttr.length !== count * ew) throw new Error(`GeneralConv.forward: expected ${count} x ${ew} edge values, got ${edgeAttr.length}`);
    const neighbourSum = new Float64Array(nodes * w);
    const edgeSum = new Float64Array(nodes * ew);
    const inDegree = new Int32Array(nodes);
    for (let e = 0; e < count; e++) {
      const s = edges.src[e];
      const d = edges.dst[e];
      if (!(s >= 0 && s < nodes && d >= 0 && d < nodes)) throw new Error(`GeneralConv.forward: edge ${e} (${s} -> ${d}) leaves the ${nodes} nodes`);
      inDegree[d]++;
      for (let j = 0; j < w; j++) neighbourSum[d * w + j] += x[s * w + j];
      for (let j = 0; j < ew; j++) edgeSum[d * ew + j] += edgeAttr[e * ew + j];
    }
    const output = Float64Array.from(x);
    const bm = this.message.bias.data;
    const be = this.edge.bias.data;
    for (let i = 0; i < nodes; i++) {
      const n = inDegree[i];
      if (n === 0) continue;
      // Linear adds its bias once; the sum of n messages carries it n times.
      const m = this.message.forward(neighbourSum.subarray(i * w, (i + 1) * w));
      const a = this.edge.forward(edgeSum.subarray(i * ew, (i + 1) * ew));
      for (let j = 0; j < w; j++) output[i * w + j] += m[j] + a[j] + (n - 1) * (bm[j] + be[j]);
    }
    return { nodes, edges, neighbourSum, edgeSum, inDegree, output };
  }

  /** Accumulates the layer's gradients and returns dL/dx (nodes x width) and dL/dedgeAttr (edges x edgeWidth). */
  backward(trace: GeneralConvTrace, dOut: Float64Array): { dx: Float64Array; dEdgeAttr: Float64Array } {
    const w = this.width;
    const ew = this.edgeWidth;
    const { nodes, edges, neighbourSum, edgeSum, inDegree } = trace;
    if (dOut.length !== nodes * w) throw new Error(`GeneralConv.backward: expected ${nodes * w} gradient values, got ${dOut.length}`);
    const dx = Float64Array.from(dOut);
    const dNeighbourSum = new Float64Array(nodes * w);
    const dEdgeSum = new Float64Array(nodes * ew);
    const gbm = this.message.bias.grad;
    const gbe = this.edge.bias.grad;
    for (let i = 0; i < nodes; i++) {
      const n = inDegree[i];
      if (n === 0) continue;
      const g = dOut.subarray(i * w, (i + 1) * w);
      dNeighbourSum.set(this.message.backward(neighbourSum.subarray(i * w, (i + 1) * w), g)!, i * w);
      dEdgeSum.set(this.edge.backward(edgeSum.subarray(i * ew, (i + 1) * ew), g)!, i * ew);
      for (let j = 0; j < w; j++) {
        gbm[j] += (n - 1) * g[j];
        gbe[j] += (n - 1) * g[j];
      }
    }
    const dEdgeAttr = new Float64Array(edges.src.length * ew);
    for (let e = 0; e < edges.src.length; e++) {
      const s = edges.src[e];
      const d = edges.dst[e];
      for (let j = 0; j < w; j++) dx[s * w + j] += dNeighbourSum[d * w + j];
      for (let j = 0; j < ew; j++) dEdgeAttr[e * ew + j] = dEdgeSum[d * ew + j];
    }
    return { dx, dEdgeAttr };
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    for (const [name, p] of this.message.namedParameters()) yield [`message.${name}`, p];
    for (const [name, p] of this.edge.namedParameters()) yield [`edge.${name}`, p];
  }
}
