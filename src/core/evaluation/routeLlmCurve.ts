// RouteLLM's evaluation curve for the MF router on the test items (the threshold at each of the 11 quantile edges of
// its win rates, evals/benchmarks.py), with RouteLLM's area figure APGR (metrics/routing). APGR needs a gap between
// the strong and the weak configuration; where both reach the same quality it is undefined (null), and the mean
// quality along the curve is the figure that remains comparable.
import { RouteLlmMfRouter, StandardizedBaseline, type Baseline, type RoutingExample } from "../baselines/index.ts";
import { apgr, sortCurve, trapezoid } from "../metrics/routing/index.ts";
import type { AssignmentTable } from "./AssignmentTable.ts";
import type { RoutingCurveResult } from "./types.ts";

/** `fitted` is the RouteLLM router, as fitted by the evaluation (on the standardised feature) or bare. */
export function routeLlmCurve(fitted: Baseline, examples: readonly RoutingExample[], table: AssignmentTable): RoutingCurveResult {
  const wrapped = fitted instanceof StandardizedBaseline ? fitted : null;
  const router = wrapped ? wrapped.inner : fitted;
  if (!(router instanceof RouteLlmMfRouter)) throw new Error(`routeLlmCurve: expected the RouteLLM (MF) router, got ${fitted.name}`);
  const test = wrapped ? examples.map((e) => wrapped.standardized(e)) : examples;
  const { strong, weak } = router.pair;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const strongQuality = mean(test.map((e) => e.quality[strong]));
  const weakQuality = mean(test.map((e) => e.quality[weak]));
  const points = router.sweep(test).map((p) => ({ threshold: p.threshold, strongShare: p.strongShare, quality: p.quality, cost: p.cost }));
  const sorted = sortCurve(points, "routeLlmCurve");
  const span = sorted[sorted.length - 1].strongShare - sorted[0].strongShare;
  const meanQuality = span > 0 ? trapezoid(sorted.map((p) => p.strongShare), sorted.map((p) => p.quality)) / span : mean(sorted.map((p) => p.quality));
  return {
    strong: table.space.assignments[strong].label,
    weak: table.space.assignments[weak].label,
    strongQuality,
    weakQuality,
    points,
    apgr: strongQuality !== weakQuality && span > 0 ? apgr(points, weakQuality, strongQuality) : null,
    meanQuality,
  };
}
