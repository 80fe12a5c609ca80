// Which models answer right now, in words, read from the settings as the next route will read them
// (settings/routeSource.ts): a configuration file, the candidate list, or - until either is set - the embedded tiny
// models. The Get Started view and the chat's models line follow it.
import path from "node:path";
import * as vscode from "vscode";

export interface ModelSourceInfo {
  /** The embedded models answer (random weights: their text is gibberish by design). */
  embedded: boolean;
  /** For the chat's models line: one short line (the sidebar is narrow and the conversation needs the height). */
  label: string;
  /** More about it, for the line's tooltip. */
  detail?: string;
}

/** Context key for `when` clauses: true once haps.configFile or haps.models.candidates is set. */
export const REAL_MODELS_CONTEXT = "haps.realModelsSet";

export function modelSourceInfo(): ModelSourceInfo {
  const config = vscode.workspace.getConfiguration("haps");
  const configFile = config.get<string>("configFile", "").trim();
  if (configFile) return { embedded: false, label: `Models: the configuration ${path.basename(configFile)}` };
  const candidates = config.get<unknown[]>("models.candidates", []) ?? [];
  if (Array.isArray(candidates) && candidates.length > 0) {
    const names = candidates.map((c) => {
      const entry = (c ?? {}) as { name?: unknown; model?: unknown };
      return typeof entry.name === "string" && entry.name ? entry.name : typeof entry.model === "string" ? path.basename(entry.model) : "?";
    });
    return { embedded: false, label: `Models: ${names.join(", ")} (from settings)` };
  }
  return {
    embedded: true,
    label: "The embedded tiny models answer: random weights, gibberish by design.",
    detail: "They are for trying the machinery (routing, adapters, the route panel); set real models for real answers.",
  };
}

/** Keeps the context key and `onChange` listeners in step with the settings. */
export function watchModelSource(onChange: (info: ModelSourceInfo) => void): vscode.Disposable {
  const update = () => {
    const info = modelSourceInfo();
    void vscode.commands.executeCommand("setContext", REAL_MODELS_CONTEXT, !info.embedded);
    onChange(info);
  };
  update();
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration("haps.configFile") || e.affectsConfiguration("haps.models.candidates")) update();
  });
}

/** The Get Started view: no items of its own; VS Code shows its `viewsWelcome` content (package.json) while it is empty. */
export class WelcomeViewProvider implements vscode.TreeDataProvider<never> {
  static readonly viewId = "haps.welcome";
  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }
  getChildren(): never[] {
    return [];
  }
}
