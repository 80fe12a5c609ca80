// What a trusted workspace still may not make the extension do: have a configuration it chose send one of the user's
// environment variables as an API key (apiKeyEnv), or download model URLs without the user saying yes. In extension
// tests VS Code answers every modal dialog with its cancel button, so the download question is declined here.
import assert from "node:assert/strict";
import path from "node:path";
import * as vscode from "vscode";
import { hapsApi, PARIS_CONTEXT } from "../suite/helpers.ts";

const question = { question: "Which city is the capital of France?", context: PARIS_CONTEXT };

describe("a trusted workspace", () => {
  const config = () => vscode.workspace.getConfiguration("haps");

  it("is trusted, and its settings apply", () => {
    assert.equal(vscode.workspace.isTrusted, true);
    assert.equal(config().get("configFile"), "haps.json");
  });

  it("its configuration may not name an environment variable as an API key", async () => {
    const api = await hapsApi();
    const failure = await api.route(question).then(() => null, (e: Error) => e.message);
    assert.ok(failure, "the route was refused");
    assert.match(failure, /haps\.json: candidates\[0\]\.apiKeyEnv names the environment variable "OPENAI_API_KEY", but this configuration comes from the workspace \(haps\.configFile in this workspace's settings/);
  });

  it("nor may a file inside the workspace, even when the user's settings name it", async () => {
    const api = await hapsApi();
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "haps.json");
    await config().update("configFile", undefined, vscode.ConfigurationTarget.Workspace);
    await config().update("configFile", file, vscode.ConfigurationTarget.Global);
    try {
      const failure = await api.route(question).then(() => null, (e: Error) => e.message);
      assert.ok(failure, "the route was refused");
      assert.match(failure, /candidates\[0\]\.apiKeyEnv .* comes from the workspace \(the configuration file .*haps\.json, inside this workspace\)/);
    } finally {
      await config().update("configFile", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("model URLs it names are downloaded only when the user says yes (declined here: nothing is fetched)", async () => {
    const api = await hapsApi();
    assert.equal(config().get("configFile"), "", "the workspace's configuration is out of the way");
    assert.match(String(config().get("models.router")), /^https:\/\/models\.invalid\//, "the workspace's model URLs apply");
    const reports: unknown[] = [];
    const subscription = api.downloads.onDidReport((r) => reports.push(r));
    try {
      const failure = await api.route(question).then(() => null, (e: Error) => e.message);
      assert.ok(failure, "the route was refused");
      assert.match(failure, /^Not downloaded: https:\/\/models\.invalid\/.* \(named by haps\.models\.candidates, haps\.models\.router, haps\.models\.embedding in this workspace's settings\)/);
      assert.deepEqual(reports, [], "no download was started");
    } finally {
      subscription.dispose();
    }
  });
});
