// Every method's cost-quality front on one chart (RouterBench's view): the swept operating points of each method that
// can weigh cost (mean over seeds per alpha), its front (the non-decreasing upper hull) as a line, and the fixed
// assignments - All-Weak and All-Strong among them - and Random as single points. Null without a sweep.
import type { TopLevelSpec } from "vega-lite";
import { referenceRows } from "../paretoSummary.ts";
import type { EvaluationResults } from "../types.ts";

export function paretoChart(r: EvaluationResults): TopLevelSpec | null {
  const swept = r.pareto.filter((p) => p.points.length > 1);
  if (swept.length === 0) return null;
  const { weak, strong } = referenceRows(r);
  const names = swept.map((p) => p.name);
  const fronts = swept.flatMap((p) => p.front.map((x, i) => ({ method: p.name, cost: x.cost, quality: x.quality, order: i })));
  const points = swept.flatMap((p) => p.points.map((x) => ({ method: p.name, cost: x.cost, quality: x.quality, alpha: x.alpha })));
  const single = r.pareto
    .filter((p) => p.points.length === 1)
    .map((p) => ({ label: p.name === weak ? `All-Weak: ${p.name}` : p.name === strong ? `All-Strong: ${p.name}` : p.name, cost: p.points[0].cost, quality: p.points[0].quality, reference: p.name === weak || p.name === strong }));
  const color = { field: "method", type: "nominal" as const, title: "front (swept alpha)", sort: names, scale: { domain: names, scheme: names.length > 10 ? "category20" : "tableau10" } };
  const x = { field: "cost", type: "quantitative" as const, title: "normalised cost (min-max on the training rows, clamped; router overhead included)", scale: { domain: [0, 1] } };
  const y = { field: "quality", type: "quantitative" as const, title: "quality (test items)", scale: { domain: [0, 1] } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Cost-quality Pareto fronts", subtitle: [r.dataset, `mean over ${r.seeds.length} seed(s) per swept alpha; lines: each method's front (upper hull); squares: fixed assignments and Random`] },
    width: 480,
    height: 360,
    layer: [
      { data: { values: fronts }, mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color, order: { field: "order", type: "quantitative" } } },
      { data: { values: points }, mark: { type: "point", filled: true, size: 45, opacity: 0.8 }, encoding: { x, y, color, shape: { field: "method", type: "nominal", title: "front (swept alpha)", sort: names } } },
      { data: { values: single }, mark: { type: "square", size: 110, color: "#333" }, encoding: { x, y, opacity: { condition: { test: "datum.reference", value: 1 }, value: 0.45 } } },
      { data: { values: single.filter((s) => s.reference) }, mark: { type: "text", align: "left", dx: 8, dy: -8, fontSize: 11 }, encoding: { x, y, text: { field: "label" } } },
    ],
  };
}
