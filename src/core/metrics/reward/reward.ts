/**
 * The HAPS training reward: performance minus `alpha` times the normalised cost. Throws on a non-finite input,
 * since a NaN reward would silently poison every gradient it touches.
 */
export function reward(perf: number, normCost: number, alpha: number): number {
  for (const [name, value] of [["perf", perf], ["normCost", normCost], ["alpha", alpha]] as const) {
    if (!Number.isFinite(value)) throw new RangeError(`reward: ${name} must be finite, got ${value}`);
  }
  return perf - alpha * normCost;
}
