/**
 * Small pieces the learned baselines share: seeded shuffling, the epoch count that guarantees a minimum number of
 * optimiser updates, and best-validation snapshots of their weights.
 */
import type { Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";

/** Fisher-Yates shuffle in place, driven by `rng`. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * The originals train on 10^4-10^5 records; their epoch counts on a few hundred items would amount to a few dozen
 * updates. The epoch count is raised until at least `minSteps` updates happen (never lowered).
 */
export function epochsForMinSteps(epochs: number, stepsPerEpoch: number, minSteps: number): number {
  if (stepsPerEpoch <= 0) return epochs;
  return Math.max(epochs, Math.ceil(minSteps / stepsPerEpoch));
}

/** Copies of the parameters' values, for keeping the best epoch. */
export function snapshotParameters(params: readonly Parameter[]): Float32Array[] {
  return params.map((p) => Float32Array.from(p.data));
}

/** Writes a snapshot back. */
export function restoreParameters(params: readonly Parameter[], snapshot: readonly Float32Array[]): void {
  params.forEach((p, i) => p.data.set(snapshot[i]));
}

/** Adds L2 weight decay to the gradients (torch.optim.Adam's `weight_decay`, which RouteLLM uses; not AdamW's). */
export function addL2Gradient(params: readonly Parameter[], weightDecay: number): void {
  if (weightDecay === 0) return;
  for (const p of params) for (let i = 0; i < p.size; i++) p.grad[i] += weightDecay * p.data[i];
}

/** A float64 copy of a float32 embedding (the nn layers compute in float64). */
export function toFloat64(values: Float32Array): Float64Array {
  return Float64Array.from(values);
}

/** Index of the largest value; the first one on ties. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
