// A finished evaluation as cell outputs, answer first (src/core/evaluation/report/notebookReport.ts): the title and
// the main results table, with where the files are; the quality-cost chart, then the other charts (SVG); the rest of
// report.md folded; results.json as JSON. Everything is read from the files the engine wrote, so the notebook shows
// exactly what is on disk. Each output's metadata names its file; the serializer saves outputs with their metadata.
//
// The report's two parts are each one output with two items, HTML (wide tables scroll, the details fold) and the same
// Markdown: VS Code shows the HTML, and the Markdown is the plain fallback.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import { notebookReport, reportHtml } from "../../core/evaluation/report/notebookReport.ts";
import type { EvaluationOutcome } from "../../core/evaluation/types.ts";

/** The chart that answers first (quality against cost per method); the others follow in the engine's order. */
const LEAD_CHART = "quality-cost";

/**
 * A chart no wider than the output: Vega writes a fixed width with a viewBox, and a chart wider than the notebook
 * (a long legend) would be cut at its right edge. The file on disk keeps its size.
 */
export function fitChart(svg: string): string {
  return /^<svg\b[^>]*\bviewBox=/.test(svg) && !/^<svg\b[^>]*\bstyle=/.test(svg) ? svg.replace(/^<svg\b/, '<svg style="max-width: 100%; height: auto"') : svg;
}

/** A report part's metadata: which part, the report file, and (the lead) the output folder. */
export interface ReportPartMetadata {
  part: "lead" | "details";
  file: string;
  outDir?: string;
}

/**
 * A report part's HTML, made from its Markdown and metadata alone: the lead links report.md and results.json, the
 * details fold under their headings. The serializer uses it too, so a saved notebook's HTML is rebuilt from its
 * Markdown (markdown-it with raw HTML off) and never restored from the file.
 */
export function reportPartHtml(markdown: string, metadata: ReportPartMetadata): string {
  if (metadata.part === "details") return reportHtml(markdown, { folded: `Detailed tables: ${notebookReport(markdown).detailTitles.join(", ")}` });
  const files = [metadata.file, path.join(path.dirname(metadata.file), "results.json")];
  return reportHtml(markdown, { links: files.map((file) => ({ label: path.basename(file), href: vscode.Uri.file(file).toString() })) });
}

/** A report part as HTML and Markdown. */
function reportOutput(markdown: string, metadata: ReportPartMetadata): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(reportPartHtml(markdown, metadata), "text/html"), vscode.NotebookCellOutputItem.text(markdown, "text/markdown")], { ...metadata });
}

export async function evaluationOutputs(outcome: EvaluationOutcome, outDir: string, seconds: number): Promise<vscode.NotebookCellOutput[]> {
  const report = notebookReport(await readFile(outcome.reportFile, "utf8"));
  const results = await readFile(outcome.resultsFile, "utf8");
  const charts = await Promise.all(outcome.charts.map(async (c) => ({ ...c, svg: await readFile(c.file, "utf8") })));
  charts.sort((a, b) => Number(b.name === LEAD_CHART) - Number(a.name === LEAD_CHART));
  const files = ["report.md", "results.json", ...charts.map((c) => path.basename(c.file))];
  const where = `Evaluated in ${seconds.toFixed(0)} s. The whole report is \`report.md\`, every number is in \`results.json\` (${files.join(", ")} in \`${outDir}\`).`;
  return [
    // The whole report and the numbers one click away (VS Code opens a clicked file link in an editor).
    reportOutput(`${report.lead}\n\n${where}\n`, { file: outcome.reportFile, part: "lead", outDir }),
    ...charts.map((c) => new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(fitChart(c.svg), "image/svg+xml")], { chart: c.name, file: c.file })),
    reportOutput(report.details, { file: outcome.reportFile, part: "details" }),
    new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(results, "application/json")], { file: outcome.resultsFile }),
  ];
}
