// A native abort in the engine must cost one request, not the extension host. The engine process inherits this
// process's environment when it starts, so HAPS_ENGINE_CRASH_ON (engineMain.ts's test hook) set here reaches the
// next engine that the extension starts.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";

describe("engine crash in the extension", () => {
  afterEach(() => {
    delete process.env.HAPS_ENGINE_CRASH_ON;
  });

  it("fails the command with a clear message, keeps the extension host working, and recovers on the next call", async () => {
    process.env.HAPS_ENGINE_CRASH_ON = "runtimeInfo";
    // The running engine was started without the hook; the next one is started with it.
    await vscode.commands.executeCommand("haps.restartEngine");
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand("haps.showRuntimeInfo")),
      (error: unknown) => {
        assert.ok(error instanceof Error, String(error));
        assert.match(error.message, /HAPS engine crashed \(signal SIGABRT\) while running runtimeInfo/);
        return true;
      },
    );
    delete process.env.HAPS_ENGINE_CRASH_ON;

    // The extension host (this very process) still runs and still talks to the workbench.
    const doc = await vscode.workspace.openTextDocument({ content: "still alive" });
    const editor = await vscode.window.showTextDocument(doc);
    assert.equal(editor.document.getText(), "still alive");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");

    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    assert.ok(info.models.length >= 1, "a restarted engine answers");
  });
});
