// The extension in a real VS Code: lazy activation, the runtime-info command end to end (extension host ->
// engine process -> llama.cpp), and the settings that reach the engine.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import * as vscode from "vscode";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";

export const EXTENSION_ID = "haps.haps-router";

describe("HAPS Router extension", () => {
  const extension = () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed in the test instance`);
    return ext;
  };

  it("is not active until one of its commands runs", () => {
    assert.equal(extension().isActive, false);
  });

  it("HAPS: Show Runtime Info activates it and reports the CPU backend, threads and the loaded default models", async () => {
    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    assert.equal(extension().isActive, true);
    assert.equal(info.backend, "cpu");
    assert.ok(info.threads > 0, `threads: ${info.threads}`);
    assert.ok(info.models.length >= 1, "at least one default model is loaded");
    for (const m of info.models) {
      assert.equal(m.architecture, "llama");
      assert.ok(m.embeddingLength > 0);
    }
  });

  it("restarts the engine with changed haps.threads / haps.gpu settings", async () => {
    const config = () => vscode.workspace.getConfiguration("haps");
    // One more than the default (one per core), so the answer can only come from the setting.
    const threads = availableParallelism() + 1;
    try {
      await config().update("threads", threads, vscode.ConfigurationTarget.Global);
      await config().update("gpu", "off", vscode.ConfigurationTarget.Global);
      const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
      assert.equal(info.threads, threads);
      assert.equal(info.gpu, false);
    } finally {
      await config().update("threads", undefined, vscode.ConfigurationTarget.Global);
      await config().update("gpu", undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
