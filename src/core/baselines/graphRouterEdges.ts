/** The (query -> assignment) edges of GraphRouter's graph, with their raw features and labels. */
import type { EdgeList } from "../nn/GeneralConv.ts";
import { EDGE_FEATURES } from "./GraphRouterNet.ts";
import { graphRouterLabel, utility, type GraphRouterSetting } from "./graphRouterSettings.ts";
import type { RoutingExample } from "./types.ts";

/** Edges of a split: query node -> assignment node, with raw features [utility, cost, performance] and labels. */
export interface Edges {
  src: Int32Array;
  dst: Int32Array;
  features: Float64Array;
  label: Float64Array;
}

export function edgesOf(examples: readonly RoutingExample[], firstNode: number, queryCount: number, setting: GraphRouterSetting): Edges {
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
export function subset(edges: Edges, keep: readonly number[], features: Float64Array): { edges: EdgeList; features: Float64Array } {
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

export function concatEdges(a: Edges, b: Edges): Edges {
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
