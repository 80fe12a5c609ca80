// An error as a notification whose buttons run the fix, and as a line in the output channel.
import * as vscode from "vscode";
import { describeError } from "./describeError.ts";

export function showError(error: unknown, output: vscode.LogOutputChannel, during: string): void {
  const { message, actions } = describeError(error);
  output.error(`HAPS: ${during} failed: ${error instanceof Error ? error.message : String(error)}`);
  // A crash has already raised its own warning (EngineHost).
  if (error instanceof Error && error.name === "EngineCrashedError") return;
  void vscode.window.showErrorMessage(message, ...actions.map((a) => a.title)).then((chosen) => {
    const action = actions.find((a) => a.title === chosen);
    if (action) void vscode.commands.executeCommand(action.command);
  });
}
