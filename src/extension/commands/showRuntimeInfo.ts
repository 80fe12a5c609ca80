// "HAPS: Show Runtime Info": starts the engine if needed, loads the default models and reports what runs where.
import * as vscode from "vscode";
import { EngineCrashedError, EngineRestartLimitError } from "../../core/engine/EngineClient.ts";
import type { RuntimeInfo } from "../../core/runtime/types.ts";
import type { EngineHost } from "../EngineHost.ts";
import { formatRuntimeInfo } from "./formatRuntimeInfo.ts";

/** Returns the info so that callers (and tests) can use it; rejects with the engine's error. */
export async function showRuntimeInfo(engine: EngineHost, output: vscode.LogOutputChannel): Promise<RuntimeInfo> {
  let info: RuntimeInfo;
  try {
    info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "HAPS: starting the engine and loading the default models…" },
      () => engine.request("runtimeInfo", { loadDefaultModels: true }),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.error(`HAPS: Show Runtime Info failed: ${message}`);
    // A crash already raised its own warning; anything else deserves one here.
    if (error instanceof EngineRestartLimitError) {
      void vscode.window.showErrorMessage(`${message.split(". ")[0]}. Run "HAPS: Restart Engine" to try again.`);
    } else if (!(error instanceof EngineCrashedError)) {
      void vscode.window.showErrorMessage(`HAPS: ${message}`);
    }
    throw error;
  }
  const lines = formatRuntimeInfo(info);
  for (const line of lines) output.info(line);
  void vscode.window.showInformationMessage(lines[0]);
  return info;
}
