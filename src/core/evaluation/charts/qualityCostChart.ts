// Quality against normalised cost for every method at the training alpha (mean over seeds, with the seeds' spread as
// error bars): the main methods with HAPS at each other cost regime on top, the ablations below, each panel with its
// own legend so that every point can be told apart.
import type { TopLevelSpec } from "vega-lite";
import { alphaKey } from "../evaluateSeed.ts";
import type { EvaluationResults, MethodSummary } from "../types.ts";

interface Point {
  method: string;
  quality: number;
  low: number;
  high: number;
  cost: number;
}

function point(name: string, m: MethodSummary, alpha: number): Point {
  const s = m.byAlpha[alphaKey(alpha)];
  return { method: name, quality: s.quality.mean, low: s.quality.mean - s.quality.std, high: s.quality.mean + s.quality.std, cost: s.normalisedCost.mean };
}

function panel(title: string, points: Point[]) {
  const color = { field: "method", type: "nominal" as const, title, sort: points.map((x) => x.method), scale: { scheme: points.length > 10 ? "category20" : "tableau10" } };
  return {
    width: 440,
    height: Math.max(260, 20 * points.length),
    data: { values: points },
    layer: [
      { mark: { type: "rule" as const, strokeWidth: 1.5 }, encoding: { x: { field: "cost", type: "quantitative" as const }, y: { field: "low", type: "quantitative" as const }, y2: { field: "high" }, color } },
      {
        mark: { type: "point" as const, filled: true, size: 120, opacity: 0.85 },
        encoding: {
          x: { field: "cost", type: "quantitative" as const, title: "normalised cost (min-max on the training rows)", scale: { domain: [0, 1] } },
          y: { field: "quality", type: "quantitative" as const, title: "quality (test items)", scale: { domain: [0, 1] } },
          color,
          // Same field and title as the colour: one legend, each entry with its colour and shape.
          shape: { field: "method", type: "nominal" as const, title, sort: points.map((x) => x.method) },
        },
      },
    ],
  };
}

export function qualityCostChart(r: EvaluationResults): TopLevelSpec {
  const main = r.summary.filter((m) => m.group === "main").map((m) => point(m.name, m, r.trainingAlpha));
  const haps = r.summary.find((m) => m.kind === "haps");
  if (haps) for (const a of r.alphas) if (a !== r.trainingAlpha) main.push(point(`HAPS at alpha ${a}`, haps, a));
  const ablations = r.summary.filter((m) => m.group === "ablation").map((m) => point(m.name, m, r.trainingAlpha));
  const panels = [panel("method", main), ...(ablations.length > 0 ? [panel("ablation", ablations)] : [])];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Quality against normalised cost", subtitle: [r.dataset, `alpha ${r.trainingAlpha}; mean over ${r.seeds.length} seed(s); bars: +- 1 std`] },
    vconcat: panels,
    resolve: { scale: { color: "independent", shape: "independent" } },
  };
}
