// Running .hapseval cells through VS Code's own notebook commands: the engine evaluates the cell's spec, progress
// streams into the cell while it runs, then the main table, the charts (SVG), the rest of report.md folded and
// results.json (JSON) are the outputs, and they survive a save and a reopen; a bad spec gives an error output naming the field and leaves other
// cells' outputs alone; the stop button stops the evaluation inside the engine. Also "HAPS: New Evaluation Notebook".
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";
import { EXTENSION_ID, hapsApi, sleep } from "./helpers.ts";

/** A small evaluation on the keyword benchmark's generated models: 24 items, no training (~15 s on two cores). */
const SMALL_SPEC = {
  benchmark: { name: "keyword", phrasings: 2, train: 1, valid: 0 },
  seeds: [1],
  alphas: [0, 0.5],
  // kNN: a learned method that weighs cost, cheap to fit, so the cell shows a tuning table, intervals and a Pareto front.
  methods: ["random", "fixed", "oracle", "knn"],
  ablations: { highLevel: false, lowLevel: false, sharing: false, depths: [] },
  tuning: { configurations: 2 },
};

interface Item {
  mime: string;
  text: string;
}

function items(cell: vscode.NotebookCell): Item[] {
  return cell.outputs.flatMap((o) => o.items.map((i) => ({ mime: i.mime, text: new TextDecoder().decode(i.data) })));
}

const STDOUT = "application/vnd.code.notebook.stdout";
const ERROR = "application/vnd.code.notebook.error";

/**
 * Runs cells [start, end) through VS Code's command, as the run button does. Resolves with each cell once its
 * execution has ended; `onOutputs` sees every output state of the cells while they run.
 */
function runCells(notebook: vscode.NotebookDocument, start: number, end: number, onOutputs?: (cell: vscode.NotebookCell) => void): Promise<vscode.NotebookCell[]> {
  const pending = new Set(Array.from({ length: end - start }, (_, i) => start + i));
  const done = new Promise<vscode.NotebookCell[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`cells ${[...pending].join(", ")} did not finish within 150 s`));
    }, 150_000);
    const subscription = vscode.workspace.onDidChangeNotebookDocument((e) => {
      if (e.notebook !== notebook) return;
      for (const change of e.cellChanges) {
        if (!pending.has(change.cell.index)) continue;
        if (change.outputs) onOutputs?.(change.cell);
        if (change.executionSummary?.success !== undefined && change.executionSummary.timing?.endTime !== undefined) pending.delete(change.cell.index);
      }
      if (pending.size === 0) {
        clearTimeout(timer);
        subscription.dispose();
        resolve(Array.from({ length: end - start }, (_, i) => notebook.cellAt(start + i)));
      }
    });
  });
  void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start, end }], document: notebook.uri });
  return done;
}

async function openInEditor(file: string): Promise<vscode.NotebookDocument> {
  const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
  await vscode.window.showNotebookDocument(notebook);
  return notebook;
}

function writeNotebook(file: string, cells: { kind: "spec" | "markdown"; source: string }[]): void {
  writeFileSync(file, JSON.stringify({ hapseval: 1, cells }));
}

describe("Evaluation notebook: running cells", () => {
  const dir = mkdtempSync(join(tmpdir(), "haps-notebook-run-"));
  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    rmSync(dir, { recursive: true, force: true });
  });

  it("HAPS: New Evaluation Notebook opens an untitled notebook with a note and the starter spec (eval-smoke.json)", async () => {
    const notebook = await vscode.commands.executeCommand<vscode.NotebookDocument>("haps.newEvaluationNotebook");
    assert.equal(notebook.notebookType, "haps-eval");
    assert.equal(notebook.isUntitled, true);
    assert.equal(vscode.window.activeNotebookEditor?.notebook, notebook, "shown in an editor");
    assert.equal(notebook.cellCount, 2);
    assert.equal(notebook.cellAt(0).kind, vscode.NotebookCellKind.Markup);
    assert.match(notebook.cellAt(0).document.getText(), /evaluation spec/);
    const spec = notebook.cellAt(1);
    assert.equal(spec.kind, vscode.NotebookCellKind.Code);
    assert.equal(spec.document.languageId, "json");
    const smoke = JSON.parse(readFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "examples", "eval-smoke.json"), "utf8"));
    assert.deepEqual(JSON.parse(spec.document.getText()), smoke);
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  });

  it("runs a spec cell: progress while it runs, then report, charts and results; errors name the field and keep other outputs; saved outputs reopen", async () => {
    const api = await hapsApi();
    const file = join(dir, "eval.hapseval");
    writeNotebook(file, [
      { kind: "markdown", source: "# Small evaluation" },
      // A relative work folder: inside the cell's output folder.
      { kind: "spec", source: JSON.stringify({ ...SMALL_SPEC, work: "small-work" }, null, 2) },
      { kind: "spec", source: JSON.stringify({ ...SMALL_SPEC, methods: ["random", "magic"] }, null, 2) },
      // A missing comma on line 3.
      { kind: "spec", source: '{\n  "seeds": [1]\n  "alphas": [0]\n}' },
    ]);
    const notebook = await openInEditor(file);

    const progressSeen: string[] = [];
    const [cell] = await runCells(notebook, 1, 2, (c) => {
      if (c.executionSummary?.success === undefined) progressSeen.push(...items(c).filter((i) => i.mime === STDOUT).map((i) => i.text));
    });
    assert.equal(cell.executionSummary?.success, true, `the cell succeeded: ${JSON.stringify(items(cell)).slice(0, 2000)}`);
    // While it ran: the output folder, then the phases with their counts.
    assert.ok(progressSeen.some((t) => /^Evaluating into .+ \(global storage\)/.test(t)), `progress heading: ${progressSeen[0]}`);
    assert.ok(progressSeen.some((t) => /action-level data: \d+\/136/.test(t)), `action-level progress streamed: ${progressSeen.at(-1)}`);
    assert.ok(progressSeen.some((t) => /evaluation \(seed 1\): \d+\/\d+/.test(t)), "evaluation progress streamed");

    const out = items(cell);
    // Answer first: the title and main table (HTML, and the same as Markdown), the quality-cost chart, the other
    // charts, then the rest of the report folded, and results.json.
    const charts = cell.outputs.filter((o) => o.metadata?.chart != null).length;
    assert.ok(charts >= 3, `the charts: ${charts}`);
    assert.deepEqual(out.map((i) => i.mime), ["text/html", "text/markdown", ...Array(charts).fill("image/svg+xml"), "text/html", "text/markdown", "application/json"]);
    assert.deepEqual(cell.outputs.map((o) => o.metadata?.part ?? (o.metadata?.chart ? "chart" : "json")), ["lead", ...Array(charts).fill("chart"), "details", "json"]);
    assert.equal(cell.outputs[1].metadata?.chart, "quality-cost", "the quality-cost chart first");
    assert.ok(cell.outputs.some((o) => o.metadata?.chart === "routing-curve"));
    assert.ok(cell.outputs.some((o) => o.metadata?.chart === "pareto"), "the Pareto chart is in the cell");
    const outDir = cell.outputs[0].metadata?.outDir as string;
    // No workspace folder is open in the tests: the extension's global storage.
    assert.ok(outDir.includes(EXTENSION_ID) && outDir.includes("evaluations"), outDir);
    const [leadHtml, lead] = out;
    const svgs = out.filter((i) => i.mime === "image/svg+xml");
    const [detailsHtml, details, json] = out.slice(2 + charts);
    assert.match(lead.text, /^# HAPS evaluation: keyword benchmark.*\n\n## Main results/);
    assert.match(lead.text, /\| Oracle \(bound\) \|/);
    // The report's intervals and tests lead; the Pareto fronts' table is among the details.
    assert.match(lead.text, /## Differences and their uncertainty/);
    assert.match(lead.text, /\| kNN router \| .* \[[-+]\d\.\d{3}, [-+]\d\.\d{3}\] \| p [=<] /, "an interval and a p-value for kNN against the best baseline");
    assert.match(lead.text, /Evaluated in \d+ s\. The whole report is `report\.md`.+report\.md, results\.json, quality-cost\.svg, (\S+\.svg, )*routing-curve\.svg in `/);
    assert.match(leadHtml.text, /<div class="haps-table"><table>/, "the main table scrolls sideways in its own box");
    const href = (name: string) => new RegExp(`<a href="${vscode.Uri.file(join(outDir, name)).toString().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}">${name.replace(".", "\\.")}</a>`);
    for (const name of ["report.md", "results.json"]) assert.match(leadHtml.text, href(name), `a link that opens ${name}`);
    assert.match(details.text, /## Cost regimes/);
    assert.match(details.text, /## Cost-quality Pareto fronts/);
    assert.doesNotMatch(lead.text + details.text, /\]\([^)]+\.svg\)/, "no links to chart files the output cannot load");
    assert.match(detailsHtml.text, /^<style>[\s\S]*<details><summary>Detailed tables: About these tables, [^<]*Cost regimes/);
    for (const svg of svgs) assert.match(svg.text, /^<svg[\s\S]*<\/svg>\s*$/);
    const results = JSON.parse(json.text);
    assert.equal(results.format, "haps-evaluation/1");
    assert.deepEqual(results.seeds, [1]);
    assert.equal(results.summary.length, 7, "Random, four fixed assignments, kNN, the Oracle");
    assert.equal(readFileSync(join(outDir, "results.json"), "utf8"), json.text, "the JSON output is results.json");
    // report.md on disk stays whole: every line of both parts is in it.
    const reportMd = readFileSync(join(outDir, "report.md"), "utf8");
    for (const line of (lead.text.split("\n\nEvaluated in")[0] + "\n" + details.text).split("\n")) if (line && line !== "## About these tables") assert.ok(reportMd.includes(line), `report.md has "${line}"`);
    assert.ok(existsSync(join(outDir, "small-work", "actions.jsonl")), "the spec's relative work folder is inside the output folder");
    assert.ok(!existsSync(join(dir, "small-work")), "and not beside the notebook");
    assert.equal(api.engineActiveRequests(), 0);

    // A spec the engine refuses and one that is not JSON: error outputs naming the field and the line; cell 2 keeps its outputs.
    const [refused, notJson] = await runCells(notebook, 2, 4);
    assert.equal(refused.executionSummary?.success, false);
    const refusal = items(refused).find((i) => i.mime === ERROR);
    assert.ok(refusal, `an error output: ${JSON.stringify(items(refused))}`);
    assert.match(JSON.parse(refusal.text).message, /^Cell 3: invalid evaluation spec\n\s+methods\.1: /);
    assert.equal(notJson.executionSummary?.success, false);
    assert.match(JSON.parse(items(notJson).find((i) => i.mime === ERROR)!.text).message, /^Cell 4:3:\d+: invalid JSON/);
    assert.deepEqual(items(notebook.cellAt(1)), out, "the earlier cell's outputs stay");

    // Saved and opened again from disk (a copy: VS Code keeps the open document), the outputs are all there.
    assert.ok(await notebook.save());
    const copy = join(dir, "reopened.hapseval");
    copyFileSync(file, copy);
    const reopened = await vscode.workspace.openNotebookDocument(vscode.Uri.file(copy));
    assert.deepEqual(items(reopened.cellAt(1)), out);
    assert.equal(reopened.cellAt(1).outputs[0].metadata?.outDir, outDir);
    assert.deepEqual(items(reopened.cellAt(2)), items(refused));
  });

  it("a spec's work folder outside the output folder (absolute, or with ..) is refused with a message; nothing is written", async () => {
    const file = join(dir, "escape.hapseval");
    const outside = join(dir, "outside-work");
    writeNotebook(file, [
      { kind: "spec", source: JSON.stringify({ ...SMALL_SPEC, work: "../../escaped" }) },
      { kind: "spec", source: JSON.stringify({ ...SMALL_SPEC, work: outside }) },
    ]);
    const notebook = await openInEditor(file);
    const cells = await runCells(notebook, 0, 2);
    for (const [i, cell] of cells.entries()) {
      assert.equal(cell.executionSummary?.success, false);
      const error = items(cell).find((item) => item.mime === ERROR);
      assert.ok(error, `an error output: ${JSON.stringify(items(cell))}`);
      assert.match(JSON.parse(error.text).message, new RegExp(`^Cell ${i + 1}: work: ".*" must be a folder inside the notebook's output folder \\(a relative path without "\\.\\."\\)`));
    }
    assert.ok(!existsSync(outside), "nothing was written at the absolute path");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("the cell's stop button stops the evaluation in the engine, which is idle and answers afterwards", async () => {
    const api = await hapsApi();
    const file = join(dir, "stop.hapseval");
    // Another seed: another output folder, so nothing is resumed from the run above.
    writeNotebook(file, [{ kind: "spec", source: JSON.stringify({ ...SMALL_SPEC, seeds: [2] }) }]);
    const notebook = await openInEditor(file);
    let stopSent = false;
    const [cell] = await runCells(notebook, 0, 1, (c) => {
      if (stopSent || !items(c).some((i) => /action-level data: [1-9]\d*\/136/.test(i.text))) return;
      stopSent = true;
      void vscode.commands.executeCommand("notebook.cell.cancelExecution", { ranges: [{ start: 0, end: 1 }], document: notebook.uri });
    });
    assert.ok(stopSent, "stopped during the action-level data");
    assert.equal(cell.executionSummary?.success, false);
    const text = items(cell).map((i) => i.text).join("\n");
    assert.match(text, /Stopped\. What was done is kept in .+; run the cell again to resume\./);
    // The request settled only when the engine had stopped: nothing runs there now.
    assert.equal(api.engineActiveRequests(), 0);
    const outDir = /Evaluating into (.+) \(global storage\)/.exec(text)![1];
    assert.equal(existsSync(join(outDir, "results.json")), false, "no results from a stopped run");
    const rows = readFileSync(join(outDir, "work", "actions.jsonl"), "utf8").trim().split("\n").length - 1;
    assert.ok(rows >= 1 && rows < 136, `stopped part-way through the action-level data (${rows} of 136 rows)`);
    await sleep(1000);
    assert.equal(readFileSync(join(outDir, "work", "actions.jsonl"), "utf8").trim().split("\n").length - 1, rows, "no rows written after the stop");
    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    assert.ok(info.threads > 0, "the next request is answered");
    // Saved, so that nothing is left to save once the folder is gone.
    assert.ok(await notebook.save());
  });
});
