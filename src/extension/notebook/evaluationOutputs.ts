// A finished evaluation as cell outputs: a line saying where its files are, report.md as Markdown, each chart as
// SVG and results.json as JSON - read from the files the engine wrote, so the notebook shows exactly what is on disk.
// Each output's metadata names its file; the serializer saves outputs with their metadata.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import type { EvaluationOutcome } from "../../core/evaluation/types.ts";

/**
 * report.md links its charts as files beside it (`![quality-cost](quality-cost.svg)`). A notebook output cannot load
 * them (outputs render in a webview with no access to the folder), and the charts follow as outputs of their own.
 */
const CHART_LINK = /!\[([^\]]*)\]\(([^)\s]+\.svg)\)/g;

export async function evaluationOutputs(outcome: EvaluationOutcome, outDir: string, seconds: number): Promise<vscode.NotebookCellOutput[]> {
  const report = (await readFile(outcome.reportFile, "utf8")).replace(CHART_LINK, (_link, alt: string, file: string) => `*Chart ${alt || path.basename(file, ".svg")}: shown below.*`);
  const results = await readFile(outcome.resultsFile, "utf8");
  const charts = await Promise.all(outcome.charts.map(async (c) => ({ ...c, svg: await readFile(c.file, "utf8") })));
  const files = ["results.json", "report.md", ...outcome.charts.map((c) => path.basename(c.file))];
  return [
    new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stdout(`Evaluated in ${seconds.toFixed(0)} s: ${files.join(", ")} in\n${outDir}\n`)], { outDir }),
    new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(report, "text/markdown")], { file: outcome.reportFile }),
    ...charts.map((c) => new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(c.svg, "image/svg+xml")], { chart: c.name, file: c.file })),
    new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(results, "application/json")], { file: outcome.resultsFile }),
  ];
}
