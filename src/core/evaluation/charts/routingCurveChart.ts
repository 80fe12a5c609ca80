// The RouteLLM-style curve: the MF router's threshold sweep on the test items (share of agent calls to the costliest
// candidate against quality, mean over seeds at each quantile edge), with every method's own point at the training
// alpha. The subtitle gives RouteLLM's area figure (APGR) or says why it is undefined, and the mean quality along the
// curve. Points: the main methods (routing decisions); the ablations are in the quality-cost chart.
import type { TopLevelSpec } from "vega-lite";
import { alphaKey } from "../evaluateSeed.ts";
import { mean } from "../summarise.ts";
import type { EvaluationResults } from "../types.ts";

export function routingCurveChart(r: EvaluationResults): TopLevelSpec {
  const key = alphaKey(r.trainingAlpha);
  const strong = r.candidates.reduce((best, c) => (c.price.input + c.price.output > best.price.input + best.price.output ? c : best));
  const curves = r.perSeed.flatMap((s) => (s.routeLlmCurve ? [s.routeLlmCurve] : []));
  const curve =
    curves.length === 0
      ? []
      : curves[0].points.map((_, i) => ({ series: "RouteLLM (MF, strong/weak) threshold sweep", share: mean(curves.map((c) => c.points[i].callShare ?? c.points[i].strongShare)), quality: mean(curves.map((c) => c.points[i].quality)) }));
  const points = r.summary.filter((m) => m.group === "main").map((m) => ({ method: m.name, share: m.byAlpha[key].strongCallShare.mean, quality: m.byAlpha[key].quality.mean }));
  const apgrs = curves.map((c) => c.apgr);
  const area =
    curves.length === 0
      ? "no RouteLLM curve (the method was not run)"
      : apgrs.every((a) => a != null)
        ? `APGR ${mean(apgrs as number[]).toFixed(3)}; mean quality along the curve ${mean(curves.map((c) => c.meanQuality)).toFixed(3)}`
        : `APGR undefined in ${apgrs.filter((a) => a == null).length} seed(s): strong and weak reach the same quality (no gap); mean quality along the curve ${mean(curves.map((c) => c.meanQuality)).toFixed(3)}`;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Calls to the costlier model against quality (RouteLLM-style)", subtitle: [r.dataset, `alpha ${r.trainingAlpha}; mean over ${r.seeds.length} seed(s)`, `dashed: RouteLLM (MF, strong/weak) threshold sweep, ${curves[0]?.weak ?? "weak"} to ${curves[0]?.strong ?? "strong"}`, ...area.split("; ")] },
    width: 460,
    height: Math.max(320, 18 * points.length),
    layer: [
      {
        data: { values: curve },
        mark: { type: "line", point: true, strokeDash: [6, 3], color: "#555" },
        encoding: {
          x: { field: "share", type: "quantitative", title: `share of agent calls to ${strong.id} (the costliest candidate)`, scale: { domain: [0, 1] } },
          y: { field: "quality", type: "quantitative", title: "quality (test items)", scale: { domain: [0, 1] } },
          detail: { field: "series" },
        },
      },
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 110, opacity: 0.9 },
        encoding: {
          x: { field: "share", type: "quantitative" },
          y: { field: "quality", type: "quantitative" },
          color: { field: "method", type: "nominal", title: "method", sort: points.map((p) => p.method), scale: { scheme: points.length > 10 ? "category20" : "tableau10" } },
          // Colour and shape share the legend; coinciding points stay visible as different shapes.
          shape: { field: "method", type: "nominal", title: "method", sort: points.map((p) => p.method) },
        },
      },
    ],
  };
}
