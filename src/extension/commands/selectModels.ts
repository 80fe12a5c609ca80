// "HAPS: Select Models": a small menu that writes the model settings - the embedded models, a configuration file,
// or a candidate list with a router (and an optional embedding model). The next route reads them; nothing restarts.
import path from "node:path";
import * as vscode from "vscode";
import { displayName, type CandidateSetting } from "../settings/settingsConfig.ts";

type Choice = vscode.QuickPickItem & { run: () => Promise<boolean> };

export async function selectModels(): Promise<void> {
  // One change per pass; the menu comes back until the user is done (Escape).
  for (;;) {
    const choice = await vscode.window.showQuickPick(choices(), {
      title: "HAPS: Select Models",
      placeHolder: describeCurrent(),
      ignoreFocusOut: true,
    });
    if (choice == null) return;
    const changed = await choice.run();
    if (changed) void vscode.window.showInformationMessage(`HAPS: ${describeCurrent()}. The next route uses them.`);
  }
}

const config = () => vscode.workspace.getConfiguration("haps");

function candidates(): CandidateSetting[] {
  const value = config().get<CandidateSetting[]>("models.candidates", []);
  return Array.isArray(value) ? value : [];
}

function describeCurrent(): string {
  const file = config().get<string>("configFile", "");
  if (file) return `Models from the configuration file ${file}`;
  const list = candidates();
  if (list.length === 0) return "The embedded models (random weights)";
  return `Models from the settings: ${list.map(displayName).join(", ")}; router ${config().get<string>("models.router") || "(not set)"}`;
}

/** Writes where the setting is already defined (workspace folder, workspace) and to the user settings otherwise. */
export async function update(key: string, value: unknown): Promise<void> {
  const inspected = config().inspect(key);
  const target = inspected?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder
    : inspected?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await config().update(key, value, target);
}

async function pickFile(title: string, filters: Record<string, string[]>): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({ title, canSelectMany: false, filters, openLabel: "Select" });
  return uris?.[0]?.fsPath;
}

function choices(): Choice[] {
  const list = candidates();
  const items: Choice[] = [
    {
      label: "$(package) Use the embedded models",
      detail: "Tiny generated llama models with random weights: routing, adapters and accounting are real, their text is gibberish.",
      run: async () => {
        await update("configFile", undefined);
        await update("models.candidates", undefined);
        return true;
      },
    },
    {
      label: "$(file) Use a configuration file…",
      detail: "A JSON file as `haps route --config` reads it (router, agents, candidates, generator, protocol).",
      run: async () => {
        const file = await pickFile("HAPS configuration file", { "HAPS configuration": ["json"] });
        if (!file) return false;
        await update("configFile", file);
        return true;
      },
    },
    {
      label: "$(add) Add a candidate model…",
      detail: "A GGUF file, its display name, its prices per million tokens, open or closed weights.",
      run: addCandidate,
    },
    {
      label: "$(hubot) Set the router model…",
      description: config().get<string>("models.router") || "not set",
      detail: "The LLM whose hidden state is the routing feature; needed with a candidate list.",
      run: async () => {
        const file = await pickFile("HAPS router model", { "GGUF models": ["gguf"] });
        if (!file) return false;
        await update("models.router", file);
        return true;
      },
    },
    {
      label: "$(search) Set the embedding model…",
      description: config().get<string>("models.embedding") || "BM25 (none)",
      detail: "Dense retrieval of paragraphs; cancel the file dialog to go back to BM25.",
      run: async () => {
        const file = await pickFile("HAPS embedding model", { "GGUF models": ["gguf"] });
        await update("models.embedding", file ?? undefined);
        return true;
      },
    },
  ];
  if (list.length > 0) {
    items.push({
      label: "$(remove) Remove a candidate…",
      description: `${list.length} listed`,
      run: async () => {
        const pick = await vscode.window.showQuickPick(
          list.map((c, i) => ({ label: displayName(c), description: c.model, index: i })),
          { title: "Remove which candidate?" },
        );
        if (pick == null) return false;
        await update("models.candidates", list.filter((_, i) => i !== pick.index));
        return true;
      },
    });
  }
  items.push({
    label: "$(settings-gear) Open the HAPS settings",
    run: async () => {
      await vscode.commands.executeCommand("haps.openSettings");
      return false;
    },
  });
  return items;
}

async function addCandidate(): Promise<boolean> {
  const model = await pickFile("Candidate model", { "GGUF models": ["gguf"] });
  if (!model) return false;
  const name = await vscode.window.showInputBox({ title: "Display name", value: path.basename(model).replace(/\.gguf$/i, ""), ignoreFocusOut: true });
  if (name == null) return false;
  const price = async (which: string) => {
    const text = await vscode.window.showInputBox({
      title: `Price per million ${which} tokens`,
      value: "0",
      ignoreFocusOut: true,
      validateInput: (t) => (Number.isFinite(Number(t)) && Number(t) >= 0 ? null : "A number of 0 or more"),
    });
    return text == null ? undefined : Number(text);
  };
  const priceInput = await price("input");
  if (priceInput == null) return false;
  const priceOutput = await price("output");
  if (priceOutput == null) return false;
  const weights = await vscode.window.showQuickPick(
    [
      { label: "Open weights", description: "gets a LoRA adapter generated for each query", open: true },
      { label: "Closed", description: "routed to without an adapter", open: false },
    ],
    { title: "Open or closed?" },
  );
  if (weights == null) return false;
  await update("models.candidates", [...candidates(), { model, name, priceInput, priceOutput, open: weights.open }]);
  // A configuration file would hide the list just edited.
  if (config().get<string>("configFile")) await update("configFile", undefined);
  return true;
}
