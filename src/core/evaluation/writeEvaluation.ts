// The output folder of an evaluation: results.json (every number), the charts as SVG, and report.md, which links them.
// Each file is written whole to a temporary name and renamed, so an interrupted write never leaves half a file.
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { depthChart } from "./charts/depthChart.ts";
import { paretoChart } from "./charts/paretoChart.ts";
import { qualityCostChart } from "./charts/qualityCostChart.ts";
import { renderSvg } from "./charts/renderSvg.ts";
import { routingCurveChart } from "./charts/routingCurveChart.ts";
import { trainingCurvesChart } from "./charts/trainingCurvesChart.ts";
import { evaluationReport } from "./report/evaluationReport.ts";
import type { EvaluationOutcome, EvaluationResults } from "./types.ts";

/** Every chart an evaluation can have (a builder returns null when its data is missing, e.g. no depth ablation). */
const CHARTS: { name: string; file: string; build: (r: EvaluationResults) => TopLevelSpec | null }[] = [
  { name: "quality-cost", file: "quality-cost.svg", build: qualityCostChart },
  { name: "pareto", file: "pareto.svg", build: paretoChart },
  { name: "routing-curve", file: "routing-curve.svg", build: routingCurveChart },
  { name: "lora-depth", file: "lora-depth.svg", build: depthChart },
  { name: "training-curves", file: "training-curves.svg", build: trainingCurvesChart },
];

export async function writeEvaluation(results: EvaluationResults, outDir: string, options: { benchmark: boolean }): Promise<Omit<EvaluationOutcome, "summary">> {
  await mkdir(outDir, { recursive: true });
  const write = async (name: string, text: string) => {
    const file = path.join(outDir, name);
    await writeFile(`${file}.tmp`, text);
    await rename(`${file}.tmp`, file);
    return file;
  };
  const resultsFile = await write("results.json", `${JSON.stringify(results, null, 2)}\n`);
  const charts: { name: string; file: string }[] = [];
  for (const chart of CHARTS) {
    const spec = chart.build(results);
    if (spec == null) continue;
    await write(chart.file, await renderSvg(spec));
    charts.push({ name: chart.name, file: path.join(outDir, chart.file) });
  }
  const reportFile = await write("report.md", evaluationReport(results, charts.map((c) => ({ name: c.name, file: path.basename(c.file) })), options));
  return { resultsFile, reportFile, charts };
}
