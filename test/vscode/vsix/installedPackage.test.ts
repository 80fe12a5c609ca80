// HAPS installed from its linux-x64 VSIX (not loaded from the repository): the package carries node-llama-cpp with
// this platform's binaries only and the native layer's addon, and HAPS: Route Query runs a routed episode from it, with
// adapters updated in place.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
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
