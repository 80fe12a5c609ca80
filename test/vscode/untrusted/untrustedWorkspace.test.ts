// An untrusted workspace cannot choose what HAPS loads, downloads or reaches: its settings name a configuration file
// (with an openai candidate and an apiKeyEnv), model URLs and GPU settings; in Restricted Mode the extension reads
// only the user's values, and a route runs on the embedded models. The workspace's values are there (inspect() shows
// them): what is tested is that they do not apply.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as vscode from "vscode";
import { hapsApi, PARIS_CONTEXT } from "../suite/helpers.ts";

describe("an untrusted workspace (Restricted Mode)", () => {
  it("is untrusted, and its settings are there", () => {
    assert.equal(vscode.workspace.isTrusted, false, "the workspace is not trusted");
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, "a workspace folder is open");
    // VS Code hides restricted values from inspect() in Restricted Mode: the file itself shows what the workspace asks.
    const settings = JSON.parse(readFileSync(path.join(folder.uri.fsPath, ".vscode", "settings.json"), "utf8")) as Record<string, unknown>;
    for (const key of ["configFile", "models.router", "models.candidates", "models.embedding", "gpu", "threads"]) assert.ok(`haps.${key}` in settings, `the workspace sets haps.${key}`);
  });

  it("cannot select a configuration, a model URL, a base URL or GPU settings", () => {
    const config = vscode.workspace.getConfiguration("haps");
    assert.equal(config.get("configFile"), "", "haps.configFile is the user's (empty)");
    assert.equal(config.get("models.router"), "", "haps.models.router is the user's (empty)");
    assert.deepEqual(config.get("models.candidates"), [], "haps.models.candidates is the user's (none)");
    assert.equal(config.get("models.embedding"), "");
    assert.equal(config.get("gpu"), "auto", "haps.gpu is the default");
    assert.equal(config.get("threads"), 0);
  });

  it("a route runs on the embedded models: no candidate of the workspace's configuration, nothing downloaded", async () => {
    const api = await hapsApi();
    const reports: unknown[] = [];
    const subscription = api.downloads.onDidReport((r) => reports.push(r));
    try {
      const { report } = await api.route({ question: "Which city is the capital of France?", context: PARIS_CONTEXT });
      const used = Object.keys(report.tokens);
      assert.ok(used.length > 0);
      assert.ok(!used.includes("workspace-remote") && !used.includes("workspace-url"), `candidates used: ${used.join(", ")}`);
      assert.deepEqual(reports, [], "no download was started");
    } finally {
      subscription.dispose();
    }
  });
});
