// Entry point. Activation is lazy (VS Code activates on the first contributed command); llama.cpp never runs in
// this process, only in the engine child process that EngineHost supervises.
import * as vscode from "vscode";
import { EngineHost } from "./EngineHost.ts";
import { showRuntimeInfo } from "./showRuntimeInfo.ts";

let engine: EngineHost | null = null;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("HAPS Router");
  const host = new EngineHost(context, output);
  engine = host;
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("haps.showRuntimeInfo", () => showRuntimeInfo(host, output)),
    vscode.commands.registerCommand("haps.restartEngine", async () => {
      await host.restart();
      output.appendLine("HAPS engine stopped; it starts again on the next request.");
    }),
  );
}

export async function deactivate(): Promise<void> {
  // Awaited by VS Code (within its shutdown budget), so the engine gets its `shutdown` instead of being orphaned.
  await engine?.dispose();
  engine = null;
}
