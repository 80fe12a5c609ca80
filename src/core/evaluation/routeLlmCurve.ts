// RouteLLM's evaluation curve for the MF router on the test items (the threshold at each of the 11 quantile edges of
// its win rates, evals/benchmarks.py), with RouteLLM's area figure APGR (metrics/routing). APGR needs a gap between
// the strong and the weak configuration; where both reach the same quality it is undefined (null), and the mean
// quality along the curve is the figure that remains comparable. CPT(20/50/80 %) is the smallest share of items sent
// to the strong configuration that recovers that share of the gap (null: never, or no gap).
import { RouteLlmMfRouter, StandardizedBaseline, type Baseline, type RoutingExample } from "../baselines/index.ts";
import { apgr, cpt, sortCurve, trapezoid } from "../metrics/routing/index.ts";
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
  // The sweep counts items sent to the strong configuration; the agent calls to the costliest candidate follow from
  // how many of each configuration's agents run it (all of them for All-Strong, none for All-Weak).
  const callsOf = (a: number) => table.space.assignments[a].choices.filter((m) => m === table.strongCandidate).length / table.space.assignments[a].choices.length;
  const points = router.sweep(test).map((p) => ({ threshold: p.threshold, strongShare: p.strongShare, callShare: p.strongShare * callsOf(strong) + (1 - p.strongShare) * callsOf(weak), quality: p.quality, cost: p.cost }));
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
    cpt: Object.fromEntries([20, 50, 80].map((x) => [String(x), strongQuality !== weakQuality ? cpt(points, weakQuality, strongQuality, x / 100) : null])),
    meanQuality,
  };
}
