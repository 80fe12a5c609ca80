// "HAPS: Set API Key": stores the key of an openai candidate (by its id, or for every candidate with a base URL) in
// SecretStorage. The candidates offered are the openai ones of `haps.configFile`, plus those that have a key already;
// the key is typed into a password box and shown nowhere. An empty key removes the stored one.
import { readFile } from "node:fs/promises";
import * as vscode from "vscode";
import { resolveSettingPath } from "../settings/routeSource.ts";
import { describeTarget, type ApiKeyStore, type ApiKeyTarget } from "./ApiKeyStore.ts";

/** For automation (other extensions, tests): the target and the key, which skip the pickers. */
export interface SetApiKeyArgs {
  candidate?: string;
  baseUrl?: string;
  key?: string;
}

/** Resolves with the target whose key was set or removed, or undefined when the user cancelled. */
export async function setApiKey(store: ApiKeyStore, output: vscode.OutputChannel, rawArgs?: unknown): Promise<ApiKeyTarget | undefined> {
  const args = (rawArgs != null && typeof rawArgs === "object" ? rawArgs : {}) as SetApiKeyArgs;
  const target: ApiKeyTarget | undefined =
    typeof args.candidate === "string" && args.candidate !== ""
      ? { candidate: args.candidate }
      : typeof args.baseUrl === "string" && args.baseUrl !== ""
        ? { baseUrl: args.baseUrl }
        : await pickTarget(store);
  if (target == null) return undefined;
  const key =
    typeof args.key === "string"
      ? args.key
      : await vscode.window.showInputBox({
          title: `HAPS: API key for ${describeTarget(target)}`,
          prompt: "Stored in VS Code's secret storage and sent only to that server. Leave empty to remove the stored key.",
          password: true,
          ignoreFocusOut: true,
        });
  if (key == null) return undefined;
  await store.set(target, key.trim());
  // The log names the target, never the key.
  output.appendLine(key.trim() === "" ? `Removed the API key of ${describeTarget(target)}.` : `Stored an API key for ${describeTarget(target)}.`);
  return target;
}

async function pickTarget(store: ApiKeyStore): Promise<ApiKeyTarget | undefined> {
  type Item = vscode.QuickPickItem & { target?: ApiKeyTarget; ask?: "candidate" | "baseUrl" };
  const items: Item[] = [];
  for (const c of await configuredOpenAiCandidates()) items.push({ label: c.id, description: c.baseUrl, target: { candidate: c.id } });
  for (const t of store.targets()) {
    if (items.some((i) => JSON.stringify(i.target) === JSON.stringify(t))) continue;
    items.push({ label: "candidate" in t ? t.candidate : t.baseUrl, description: "has a key", target: t });
  }
  items.push({ label: "Another candidate id…", ask: "candidate" }, { label: "A base URL (every candidate that uses it)…", ask: "baseUrl" });
  const picked = await vscode.window.showQuickPick(items, { title: "HAPS: Set API Key", placeHolder: "Which openai candidate is the key for?" });
  if (picked == null) return undefined;
  if (picked.target) return picked.target;
  const value = await vscode.window.showInputBox({
    title: "HAPS: Set API Key",
    prompt: picked.ask === "candidate" ? "Candidate id (as in the configuration)" : "Base URL, e.g. https://api.openai.com/v1",
    validateInput: (v) => (picked.ask === "baseUrl" && !/^https?:\/\/\S+$/i.test(v.trim()) ? "expected an http:// or https:// URL" : v.trim() === "" ? "required" : undefined),
  });
  if (value == null) return undefined;
  return picked.ask === "candidate" ? { candidate: value.trim() } : { baseUrl: value.trim() };
}

/** The openai candidates of `haps.configFile`, read leniently: a file that cannot be read offers none. */
async function configuredOpenAiCandidates(): Promise<{ id: string; baseUrl: string }[]> {
  const file = vscode.workspace.getConfiguration("haps").get<string>("configFile", "").trim();
  if (!file) return [];
  try {
    const raw = JSON.parse(await readFile(resolveSettingPath(file), "utf8")) as { candidates?: { id?: unknown; kind?: unknown; baseUrl?: unknown }[] };
    return (raw.candidates ?? [])
      .filter((c) => c.kind === "openai" && typeof c.id === "string" && typeof c.baseUrl === "string")
      .map((c) => ({ id: c.id as string, baseUrl: c.baseUrl as string }));
  } catch {
    return [];
  }
}
