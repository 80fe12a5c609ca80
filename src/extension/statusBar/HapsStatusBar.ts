// The status-bar item: the engine's backend and the current cost preference; a click sets the preference.
import * as vscode from "vscode";
import type { RuntimeInfo } from "../../core/runtime/types.ts";
import type { EngineHost } from "../EngineHost.ts";
import { readCostPreference } from "../settings/routeSource.ts";

export class HapsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("haps.status", vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly engine: EngineHost) {
    this.item.name = "HAPS Router";
    this.item.command = "haps.setCostPreference";
    this.subscriptions.push(
      engine.onDidChangeRuntimeInfo(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration("haps.costPreference") && this.update()),
    );
    this.update();
    this.item.show();
  }

  /** The item's text now (the tests read it). */
  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const info: RuntimeInfo | null = this.engine.runtimeInfo;
    const alpha = readCostPreference();
    const backend = info == null ? "idle" : info.backend;
    this.item.text = `$(hubot) HAPS ${backend} · α ${alpha.toFixed(2)}`;
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(
      info == null
        ? "HAPS engine: not started (it starts on the first query)."
        : `HAPS engine: ${info.backend}${info.gpuDevices.length ? ` (${info.gpuDevices.join(", ")})` : ""}, ${info.threads} thread(s).`,
    );
    tooltip.appendMarkdown("\n\n");
    tooltip.appendText(`Cost preference α = ${alpha.toFixed(2)}. Click to change it; the next route uses it.`);
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `HAPS ${backend}, cost preference ${alpha.toFixed(2)}` };
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.item.dispose();
  }
}
