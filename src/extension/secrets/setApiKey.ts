// "HAPS: Set API Key": stores the key of an openai candidate (by its id, or for every candidate with a base URL) in
// SecretStorage. The candidates offered are the openai ones of `haps.configFile`, plus those that have a key already;
// the key is typed into a password box and shown nowhere. An empty key removes the stored one.
import { readFile } from "node:fs/promises";
import * as vscode from "vscode";
import { resolveSettingPath } from "../settings/routeSource.ts";
import { originOf } from "../../core/host/keyOrigin.ts";
import { describeTarget, normaliseTarget, type ApiKeyStore, type ApiKeyTarget } from "./ApiKeyStore.ts";

/**
 * For automation (other extensions, tests): the target and the key, which skip the pickers. A candidate's key is
 * bound to `baseUrl`'s origin, or else to the origin its configuration (`haps.configFile`) gives it.
 */
export interface SetApiKeyArgs {
  candidate?: string;
  baseUrl?: string;
  key?: string;
}

/** Resolves with the target whose key was set or removed, or undefined when the user cancelled. */
export async function setApiKey(store: ApiKeyStore, output: vscode.LogOutputChannel, rawArgs?: unknown): Promise<ApiKeyTarget | undefined> {
  const args = (rawArgs != null && typeof rawArgs === "object" ? rawArgs : {}) as SetApiKeyArgs;
  const candidate = typeof args.candidate === "string" && args.candidate !== "" ? args.candidate : undefined;
  const baseUrl = typeof args.baseUrl === "string" && args.baseUrl !== "" ? args.baseUrl : undefined;
  let target: ApiKeyTarget | undefined;
  try {
    if (candidate != null) {
      const url = baseUrl ?? (await configuredOpenAiCandidates()).find((c) => c.id === candidate)?.baseUrl ?? (typeof args.key === "string" ? undefined : await askBaseUrl(`the server of candidate "${candidate}"`));
      if (url == null) {
        if (typeof args.key === "string") throw new Error(`candidate "${candidate}" is not in haps.configFile: give its baseUrl, so that the key is bound to that server`);
        return undefined;
      }
      target = normaliseTarget({ candidate, origin: url });
    } else if (baseUrl != null) target = normaliseTarget({ origin: baseUrl });
    else target = await pickTarget(store);
  } catch (error) {
    throw new Error(`HAPS: Set API Key: ${(error as Error).message}`);
  }
  if (target == null) return undefined;
  const key =
    typeof args.key === "string"
      ? args.key
      : await vscode.window.showInputBox({
          title: `HAPS: API key for ${describeTarget(target)}`,
          prompt: `Stored in VS Code's secret storage and sent only to ${target.origin}. Leave empty to remove the stored key.`,
          password: true,
          ignoreFocusOut: true,
        });
  if (key == null) return undefined;
  await store.set(target, key.trim());
  // The log names the target, never the key.
  output.info(key.trim() === "" ? `Removed the API key of ${describeTarget(target)}.` : `Stored an API key for ${describeTarget(target)}.`);
  return target;
}

async function pickTarget(store: ApiKeyStore): Promise<ApiKeyTarget | undefined> {
  type Item = vscode.QuickPickItem & { target?: ApiKeyTarget; ask?: "candidate" | "baseUrl" };
  const items: Item[] = [];
  for (const c of await configuredOpenAiCandidates()) {
    const origin = tryOrigin(c.baseUrl);
    if (origin != null) items.push({ label: c.id, description: `sent only to ${origin}`, target: { candidate: c.id, origin } });
  }
  for (const t of store.targets()) {
    if (items.some((i) => JSON.stringify(i.target) === JSON.stringify(t))) continue;
    items.push({ label: "candidate" in t ? t.candidate : t.origin, description: `has a key: ${describeTarget(t)}`, target: t });
  }
  items.push({ label: "Another candidate id…", ask: "candidate" }, { label: "A server (every candidate that uses it)…", ask: "baseUrl" });
  const picked = await vscode.window.showQuickPick(items, { title: "HAPS: Set API Key", placeHolder: "Which openai candidate is the key for?" });
  if (picked == null) return undefined;
  if (picked.target) return picked.target.origin === "" ? undefined : picked.target;
  if (picked.ask === "baseUrl") {
    const url = await askBaseUrl("the server");
    return url == null ? undefined : normaliseTarget({ origin: url });
  }
  const id = await vscode.window.showInputBox({ title: "HAPS: Set API Key", prompt: "Candidate id (as in the configuration)", validateInput: (v) => (v.trim() === "" ? "required" : undefined) });
  if (id == null) return undefined;
  const url = await askBaseUrl(`the server of candidate "${id.trim()}"`);
  return url == null ? undefined : normaliseTarget({ candidate: id.trim(), origin: url });
}

async function askBaseUrl(what: string): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({
    title: "HAPS: Set API Key",
    prompt: `Base URL of ${what}, e.g. https://api.openai.com/v1: the key is sent to that origin (scheme, host, port) only`,
    validateInput: (v) => (tryOrigin(v) == null ? "expected an http:// or https:// URL" : undefined),
  });
  return value?.trim();
}

function tryOrigin(url: string): string | null {
  try {
    return originOf(url);
  } catch {
    return null;
  }
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
