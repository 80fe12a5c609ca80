/**
 * A routing feature shaped like a small router LLM's pooled hidden state (issue 15): a large component every query
 * shares (norm about 7.4), two uninformative outlier dimensions that vary a lot from query to query, and a small
 * informative variation (spread about 0.31 around the mean) that says which of four groups the query belongs to. The
 * group decides the right assignment: group g is answered only by assignment g.
 */
import { Rng } from "../../../src/core/nn/Rng.ts";
import type { RoutingExample } from "../../../src/core/baselines/types.ts";
import { example, pairSpace, unitVector } from "./synthetic.ts";

export const WIDTH = 48;
export const GROUPS = 4;
/** Normalised cost of each of the pair space's four assignments. */
export const COSTS = [0, 0.3, 0.6, 1];
export const space = pairSpace();

const rng0 = new Rng(1501);
const common = Float64Array.from({ length: WIDTH }, () => 1 + rng0.normal() * 0.5);
{
  const norm = Math.hypot(...common);
  for (let j = 0; j < WIDTH; j++) common[j] *= 7.4 / norm;
}
/** The groups' directions, scaled so that the informative spread is about 0.31. */
const directions = Array.from({ length: GROUPS }, () => unitVector(rng0, WIDTH).map((v) => v * 0.3));

/** The group of an item and its feature. */
export function commonComponentItem(rng: Rng, group: number): Float32Array {
  const f = new Float32Array(WIDTH);
  for (let j = 0; j < WIDTH; j++) f[j] = common[j] + directions[group][j] + 0.03 * rng.normal();
  // Two outlier dimensions: large, query-dependent and unrelated to the group.
  f[0] += 1.5 * rng.normal();
  f[1] += 1.5 * rng.normal();
  return f;
}

/** `n` items, groups in turn, with quality 1 for assignment g and 0 for the others. */
export function commonComponentExamples(seed: number, n: number, prefix: string): { examples: RoutingExample[]; groups: number[] } {
  const rng = new Rng(seed);
  const groups = Array.from({ length: n }, (_, i) => i % GROUPS);
  const examples = groups.map((g, i) => example(`${prefix}${i}`, commonComponentItem(rng, g), COSTS.map((_, a) => (a === g ? 1 : 0)), [...COSTS]));
  return { examples, groups };
}

/** The best assignment of group g at alpha (reward quality - alpha * cost, ties to the cheaper). */
export function bestFor(group: number, alpha: number): number {
  let best = 0;
  for (let a = 1; a < COSTS.length; a++) {
    const r = (a === group ? 1 : 0) - alpha * COSTS[a];
    const rb = (best === group ? 1 : 0) - alpha * COSTS[best];
    if (r > rb + 1e-12) best = a;
  }
  return best;
}

/** Spread of the features around their mean (root of the mean squared distance) and the mean's norm. */
export function spreadAndMeanNorm(features: readonly Float32Array[]): { spread: number; meanNorm: number } {
  const mean = new Float64Array(WIDTH);
  for (const f of features) for (let j = 0; j < WIDTH; j++) mean[j] += f[j] / features.length;
  let sq = 0;
  for (const f of features) for (let j = 2; j < WIDTH; j++) sq += (f[j] - mean[j]) ** 2 / features.length;
  return { spread: Math.sqrt(sq), meanNorm: Math.hypot(...mean) };
}
