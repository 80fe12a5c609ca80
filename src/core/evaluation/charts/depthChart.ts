// LoRA depth k against quality (the paper's Figure 4): HAPS trained with adapters on the last k layers, mean over
// seeds with the spread as error bars, against the best baseline's quality (dashed) and, for reference, oracle routing
// without adapters (dotted). Null when the spec ran no depth ablation.
import type { TopLevelSpec } from "vega-lite";
import { alphaKey } from "../evaluateSeed.ts";
import { bestBaselineAt } from "../comparisons.ts";
import type { EvaluationResults } from "../types.ts";

/** The best baseline at the training alpha by mean quality: every baseline row, fixed assignments included (not HAPS, not the Oracle). */
export function bestBaseline(r: EvaluationResults): { name: string; quality: number } | null {
  const best = bestBaselineAt(r, r.trainingAlpha, "quality");
  return best == null ? null : { name: best.name, quality: best.byAlpha[alphaKey(r.trainingAlpha)].quality.mean };
}

export function depthChart(r: EvaluationResults): TopLevelSpec | null {
  const key = alphaKey(r.trainingAlpha);
  const depths = r.summary.filter((m) => m.kind === "depth").sort((a, b) => a.depth! - b.depth!);
  if (depths.length === 0) return null;
  const points = depths.map((m) => ({ k: m.depth!, quality: m.byAlpha[key].quality.mean, low: m.byAlpha[key].quality.mean - m.byAlpha[key].quality.std, high: m.byAlpha[key].quality.mean + m.byAlpha[key].quality.std, series: "HAPS with LoRA on the last k layers" }));
  const references: { series: string; quality: number; dash: number[] }[] = [];
  const best = bestBaseline(r);
  if (best) references.push({ series: `best baseline: ${best.name}`, quality: best.quality, dash: [8, 4] });
  const oracle = r.summary.find((m) => m.kind === "oracle");
  if (oracle) references.push({ series: "Oracle routing (no adapters; a bound)", quality: oracle.byAlpha[key].quality.mean, dash: [2, 3] });
  const series = [points[0].series, ...references.map((x) => x.series)];
  // Colour and dash share one legend, which draws each series' line as it is drawn, so the dashed best baseline reads
  // as in the paper's Figure 4.
  const legend = { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolSize: 400 };
  const color = { field: "series", type: "nominal" as const, title: null, sort: series, scale: { domain: series, range: ["#1f77b4", "#d62728", "#7f7f7f"] }, legend };
  const dash = { field: "series", type: "nominal" as const, title: null, sort: series, scale: { domain: series, range: [[1, 0], ...references.map((x) => x.dash)] }, legend };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "LoRA depth k against quality", subtitle: [r.dataset, `alpha ${r.trainingAlpha}; mean over ${r.seeds.length} seed(s); bars: +- 1 std`] },
    width: 420,
    height: 300,
    layer: [
      { data: { values: points }, mark: { type: "rule", strokeWidth: 1.5 }, encoding: { x: { field: "k", type: "quantitative" }, y: { field: "low", type: "quantitative" }, y2: { field: "high" }, color } },
      {
        data: { values: points },
        mark: { type: "line", point: { size: 80, filled: true } },
        encoding: {
          x: { field: "k", type: "quantitative", title: "k (adapted o_proj layers, counted from the last)", axis: { values: points.map((p) => p.k), format: "d" }, scale: { domain: [0.5, Math.max(...points.map((p) => p.k)) + 0.5] } },
          y: { field: "quality", type: "quantitative", title: "quality (test items)", scale: { domain: [0, 1] } },
          color,
          strokeDash: dash,
        },
      },
      ...references.map((ref) => ({
        data: { values: [ref] },
        mark: { type: "rule" as const, strokeWidth: 2 },
        encoding: { y: { field: "quality", type: "quantitative" as const }, color, strokeDash: dash },
      })),
    ],
  };
}
