// The notebook "HAPS: New Evaluation Notebook" opens: a note on what it is and one spec cell that runs on the
// embedded models - examples/eval-smoke.json, the CLI's smoke evaluation (the keyword benchmark's generated models,
// every method and ablation, one seed; about a minute on two cores), bundled so that the cell is the file's content.
import * as vscode from "vscode";
import evalSmoke from "../../../examples/eval-smoke.json" with { type: "json" };

const INTRODUCTION = `# HAPS evaluation

Each code cell holds an **evaluation spec**, the JSON that \`haps eval --spec\` reads (every field and its default:
\`src/core/evaluation/EvalSpec.ts\`). Run a cell to evaluate HAPS against the baselines (Random, each fixed assignment,
the Oracle, RouteLLM, GraphRouter, IRT-Router) and its ablations; its progress streams below it, and when it is done the
cell shows the main results table first, then the quality-cost chart and the other charts, then the detailed tables
(folded) and \`results.json\`; the links under the main table open \`report.md\` and \`results.json\`. Stop it with the cell's stop button;
running the same spec again resumes from what was already done.

The cell below uses the keyword benchmark, whose tiny models and items the engine generates (nothing to download). The
files go to \`.haps/evaluations/\` in the workspace folder, or to the extension's global storage when no folder is
open; relative paths in a spec resolve against the notebook's folder (until it is saved, the workspace folder). Save
the notebook (\`.hapseval\`) to keep the outputs with it.`;

export function starterNotebook(): vscode.NotebookData {
  const intro = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, INTRODUCTION, "markdown");
  const spec = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, `${JSON.stringify(evalSmoke, null, 2)}\n`, "json");
  return new vscode.NotebookData([intro, spec]);
}
