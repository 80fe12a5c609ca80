import { quantile } from "./quantile.ts";

/** One operating point of a threshold router: route to the strong model iff score >= threshold (> when `strict`). */
export interface SweepThreshold {
  threshold: number;
  /** True for the top edge only, so that the sweep ends with no strong call at all. */
  strict: boolean;
}

/**
 * The thresholds RouteLLM's evaluation sweeps (evals/benchmarks.py): the bins + 1 edges of a split of the router's
 * scores into `bins` equally filled quantile bins (pandas `qcut`), duplicates kept. Every edge routes "score >= edge"
 * to the strong model except the last, which uses ">" so the curve runs from all strong to all weak.
 * `bins` defaults to `10` (their `--num-results`).
 */
export function sweepThresholds(scores: readonly number[] | Float64Array, bins = 10): SweepThreshold[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`sweepThresholds: bins must be a positive integer, got ${bins}`);
  const edges: SweepThreshold[] = [];
  for (let i = 0; i <= bins; i++) edges.push({ threshold: quantile(scores, i / bins), strict: i === bins });
  return edges;
}

/** Whether a score routes to the strong model at this operating point. */
export function routesStrong(score: number, at: SweepThreshold): boolean {
  return at.strict ? score > at.threshold : score >= at.threshold;
}
