// "HAPS: Set Cost Preference": alpha between 0 and 1, written where the setting is already defined (workspace or
// user). The next route reads it; nothing restarts.
import * as vscode from "vscode";
import { readCostPreference } from "../settings/routeSource.ts";

/** Resolves with the new alpha, or undefined when cancelled. `value` skips the input box. */
export async function setCostPreference(value?: number): Promise<number | undefined> {
  let alpha = value;
  if (alpha == null) {
    const text = await vscode.window.showInputBox({
      title: "HAPS: Cost Preference",
      prompt: "α between 0 (best answer whatever it costs) and 1 (weigh cost most). The next route uses it.",
      value: String(readCostPreference()),
      validateInput: (t) => (parseAlpha(t) == null ? "Enter a number between 0 and 1, such as 0.3" : null),
    });
    if (text == null) return undefined;
    alpha = parseAlpha(text)!;
  }
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 1) throw new Error(`cost preference must be between 0 and 1, got ${alpha}`);
  const config = vscode.workspace.getConfiguration("haps");
  const inspected = config.inspect<number>("costPreference");
  const target = inspected?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
    : inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await config.update("costPreference", alpha, target);
  return alpha;
}

function parseAlpha(text: string): number | null {
  const x = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(x) && x >= 0 && x <= 1 ? x : null;
}
