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

/**
 * The paper's reward shaping for training (Appendix D): a performance of exactly 0 becomes -1, so that a failed
 * episode pushes its choices down instead of merely not pushing them up; any other value is kept.
 */
export function shapePerformance(perf: number): number {
  if (!Number.isFinite(perf)) throw new RangeError(`shapePerformance: perf must be finite, got ${perf}`);
  return perf === 0 ? -1 : perf;
}
