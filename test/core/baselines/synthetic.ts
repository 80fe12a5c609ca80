/** Small synthetic routing problems with planted answers, shared by the baseline tests. */
import { Rng } from "../../../src/core/nn/Rng.ts";
import { buildAssignmentSpace } from "../../../src/core/baselines/assignmentSpace.ts";
import type { AssignmentSpace, BaselineCandidate, RoutingExample } from "../../../src/core/baselines/types.ts";

/** Candidates named m0, m1, ... whose prices rise with the index. */
export function candidates(count: number): BaselineCandidate[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `m${i}`,
    price: { input: 0.1 * (i + 1), output: 0.2 * (i + 1) },
    descriptor: `model ${i}, ${i === 0 ? "small and cheap" : "larger and dearer"}`,
  }));
}

/** One agent over `count` candidates: the originals' single-model routing problem. */
export function soloSpace(count: number): AssignmentSpace {
  return buildAssignmentSpace(["solo"], candidates(count));
}

/** Teacher and Student over two candidates: 4 assignments. */
export function pairSpace(): AssignmentSpace {
  return buildAssignmentSpace(["teacher", "student"], candidates(2));
}

export function gaussian(rng: Rng, width: number, mean?: readonly number[], std = 1): Float32Array {
  const v = rng.fillNormal(new Float32Array(width), std);
  if (mean) for (let i = 0; i < width; i++) v[i] += mean[i];
  return v;
}

export function unitVector(rng: Rng, width: number): Float64Array {
  const v = rng.fillNormal(new Float64Array(width), 1);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function example(id: string, embedding: Float32Array, quality: number[], cost: number[], taskEmbedding?: Float32Array): RoutingExample {
  return { id, query: `query ${id}`, embedding, quality, cost, ...(taskEmbedding ? { taskEmbedding } : {}) };
}

/** Ranks with ties averaged, 1-based. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].v === order[start].v) end++;
    for (let k = start; k <= end; k++) out[order[k].i] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return out;
}

/** Spearman's rank correlation: Pearson's correlation of the ranks. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Random outcomes for every assignment: qualities in [0, 1] (some exact ties), costs around the assignment's price. */
export function randomExamples(rng: Rng, space: AssignmentSpace, count: number, width: number, prefix: string): RoutingExample[] {
  return Array.from({ length: count }, (_, i) => {
    const quality = space.assignments.map(() => (rng.uniform() < 0.3 ? Math.round(rng.uniform()) : rng.uniform()));
    const cost = space.assignments.map((a) => a.choices.reduce((s, c) => s + 0.2 * c, 0.1) + 0.1 * rng.normal());
    return example(`${prefix}${i}`, gaussian(rng, width), quality, cost);
  });
}
