// HAPS installed from its linux-x64 VSIX (not loaded from the repository): the package carries node-llama-cpp with
// this platform's binaries only and the native layer's addon, HAPS: Route Query runs a routed episode from it, with
// adapters updated in place, and the evaluation notebook's starter cell (the smoke spec) runs to its report and charts.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as vscode from "vscode";
import evalSmoke from "../../../examples/eval-smoke.json" with { type: "json" };
import type { EpisodeReport } from "../../../src/core/episode/types.ts";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";

const EXTENSION_ID = "haps.haps-router";

describe("HAPS installed from its VSIX", () => {
  it("is the installed package, with only this platform's llama.cpp binaries", () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    const expectedRoot = process.env.HAPS_VSIX_EXTENSIONS_DIR;
    assert.ok(expectedRoot && ext.extensionPath.startsWith(expectedRoot), `loaded from the extensions folder (${ext.extensionPath}), not from a development path`);
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    assert.ok(existsSync(path.join(ext.extensionPath, "dist", "engine.mjs")));
    assert.ok(existsSync(path.join(ext.extensionPath, "node_modules", "node-llama-cpp", "package.json")));
    assert.deepEqual(readdirSync(path.join(ext.extensionPath, "node_modules", "@node-llama-cpp")), ["linux-x64"]);
    assert.ok(!existsSync(path.join(ext.extensionPath, "src")), "no sources in the package");
    assert.ok(existsSync(path.join(ext.extensionPath, "dist", "native", "haps-native-linux-x64.node")), "the native layer's addon is in the package");
  });

  it("runs HAPS: Route Query from the installed package", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    if (!ext.isActive) await ext.activate();
    const question = "Which river flows through the capital of France?";
    const context = [
      { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through the city."] },
      { title: "Lyon", sentences: ["Lyon lies where the Rhone and the Saone meet."] },
    ];
    const report = await vscode.commands.executeCommand<EpisodeReport | undefined>("haps.routeQuery", { question, context });
    assert.ok(report, "the route returned a report (an error would have been shown instead)");
    assert.equal(report.task, "search-qa");
    assert.ok(report.transcript.length > 0);
    for (const agent of ["student", "teacher"]) assert.ok(report.assignment.choice[agent], `a model for the ${agent}`);
    assert.ok(report.adapters.length >= 1, "generated adapters on the open embedded models");
    assert.ok(Object.values(report.tokens).some((t) => t.input > 0 && t.output > 0));
    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    assert.equal(info.nativeLayer.path, "native", `the installed engine's adapter path: ${info.nativeLayer.detail}`);
  });
});

describe("The evaluation notebook from the installed VSIX", () => {
  after(() => vscode.commands.executeCommand("workbench.action.closeAllEditors"));

  it("runs the smoke spec (examples/eval-smoke.json) in a notebook cell and draws its charts as SVG", async function () {
    // The whole smoke evaluation (about a minute on two idle cores; several under load).
    this.timeout(900_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    if (!ext.isActive) await ext.activate();
    // The charts' libraries come inside the package (bundled into dist/chunks), not from a node_modules of the VSIX.
    for (const name of ["vega", "vega-lite"]) {
      assert.ok(!existsSync(path.join(ext.extensionPath, "node_modules", name)), `${name} is not staged as a package`);
      // Nor found above the installed package (a repository's node_modules would hide a missing dependency).
      assert.throws(() => createRequire(path.join(ext.extensionPath, "dist", "engine.mjs")).resolve(name), /Cannot find module/, `${name} cannot be resolved from the installed package`);
    }
    // The starter notebook, as a user opens it: its code cell is the smoke spec.
    const notebook = await vscode.commands.executeCommand<vscode.NotebookDocument>("haps.newEvaluationNotebook");
    const index = notebook.getCells().findIndex((c) => c.kind === vscode.NotebookCellKind.Code);
    assert.ok(index >= 0, "the starter notebook has a spec cell");
    assert.deepEqual(JSON.parse(notebook.cellAt(index).document.getText()), evalSmoke);

    const ended = new Promise<vscode.NotebookCell>((resolve, reject) => {
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error("the smoke cell did not finish within 15 min"));
      }, 900_000);
      const subscription = vscode.workspace.onDidChangeNotebookDocument((e) => {
        const change = e.cellChanges.find((c) => c.cell.index === index && c.executionSummary?.timing?.endTime !== undefined);
        if (e.notebook !== notebook || change == null) return;
        clearTimeout(timer);
        subscription.dispose();
        resolve(change.cell);
      });
    });
    void vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start: index, end: index + 1 }], document: notebook.uri });
    const cell = await ended;
    const outputs = cell.outputs.flatMap((o) => o.items.map((i) => ({ mime: i.mime, text: new TextDecoder().decode(i.data) })));
    const errors = outputs.filter((o) => o.mime === "application/vnd.code.notebook.error").map((o) => o.text);
    assert.equal(cell.executionSummary?.success, true, `the cell succeeded: ${errors.join("; ") || JSON.stringify(outputs).slice(-3000)}`);
    const charts = outputs.filter((o) => o.mime === "image/svg+xml");
    assert.ok(charts.length >= 1, `an SVG chart among the outputs (${outputs.map((o) => o.mime).join(", ")})`);
    for (const svg of charts) {
      assert.match(svg.text, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      // Drawn marks, not an empty frame: Vega's SVG renderer writes each mark as a path (lines, points, areas).
      assert.match(svg.text, /<path[^>]* d="M/);
    }
    const qualityCost = cell.outputs.find((o) => o.metadata?.chart === "quality-cost");
    assert.ok(qualityCost, "the quality-cost chart is drawn");
    assert.ok(outputs.some((o) => o.mime === "text/markdown" && /HAPS/.test(o.text)), "the report's main table is shown");
  });
});
