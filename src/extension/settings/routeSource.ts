// Where the next route's models come from, read from the settings at the moment it is sent (so a changed setting
// applies to the next route without a restart): haps.configFile, else haps.models.*, else the embedded models.
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import * as vscode from "vscode";
import { isModelUri } from "../../core/download/modelUri.ts";
import { ACTIONS, HapsUserError } from "../errors/HapsUserError.ts";
import { settingsConfig, type CandidateSetting, type ModelSettings } from "./settingsConfig.ts";

export interface RouteSource {
  /** What goes into the engine's `route` params next to the query. */
  params: { configPath?: string; config?: unknown };
  /** Shown in the route panel: "embedded models", "settings" or the file. */
  label: string;
  /** Candidate id -> display name, where the settings give them. */
  names: Record<string, string>;
  /** Candidate id -> open to adapters, where known before the route. */
  open: Record<string, boolean>;
  /**
   * Where the models were chosen by the workspace rather than by the user: a workspace (or folder) setting, or a
   * configuration file inside a workspace folder. Such a source may not name environment variables as keys, and its
   * downloads are asked about first. Null when the user's own settings (or the embedded models) decide.
   */
  workspaceOrigin: string | null;
}

/** The cost preference alpha of the next route. */
export function readCostPreference(): number {
  const alpha = vscode.workspace.getConfiguration("haps").get<number>("costPreference", 0);
  return Number.isFinite(alpha) ? Math.min(1, Math.max(0, alpha)) : 0;
}

/** Absolute paths: `~` is the home folder, relative ones start at the first workspace folder; URIs stay as they are. */
export function resolveSettingPath(value: string): string {
  const trimmed = value.trim();
  if (isModelUri(trimmed)) return trimmed;
  if (trimmed === "~" || trimmed.startsWith("~/")) return path.join(homedir(), trimmed.slice(1));
  if (path.isAbsolute(trimmed)) return trimmed;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return path.resolve(folder ?? homedir(), trimmed);
}

/** Reads the settings and checks that every file they name exists; errors name the setting and offer the fix. */
export async function readRouteSource(): Promise<RouteSource> {
  const config = vscode.workspace.getConfiguration("haps");
  const configFile = config.get<string>("configFile", "").trim();
  if (configFile) {
    const file = resolveSettingPath(configFile);
    await mustExist(file, "haps.configFile", "Configuration file");
    const workspaceOrigin = setByWorkspace("configFile")
      ? `haps.configFile in this workspace's settings (${file})`
      : insideWorkspace(file)
        ? `the configuration file ${file}, inside this workspace`
        : null;
    if (workspaceOrigin != null) await refuseKeyEnvironment(file, workspaceOrigin);
    return { params: { configPath: file }, label: file, names: {}, open: {}, workspaceOrigin };
  }
  const candidates = config.get<CandidateSetting[]>("models.candidates", []) ?? [];
  if (!Array.isArray(candidates) || candidates.length === 0) return { params: {}, label: "embedded models", names: {}, open: {}, workspaceOrigin: null };

  const router = config.get<string>("models.router", "").trim();
  if (!router) {
    throw new HapsUserError("haps.models.router is empty: the candidates listed in haps.models.candidates need a router model (GGUF). Select one.", [ACTIONS.selectModels, ACTIONS.openSettings]);
  }
  const embedding = config.get<string>("models.embedding", "").trim();
  const settings: ModelSettings = {
    candidates: candidates.map((c, i) => {
      if (typeof c?.model !== "string" || c.model.trim() === "") {
        throw new HapsUserError(`haps.models.candidates[${i}].model is missing: give each candidate a GGUF file.`, [ACTIONS.selectModels, ACTIONS.openSettings]);
      }
      return { ...c, model: resolveSettingPath(c.model) };
    }),
    router: resolveSettingPath(router),
    embedding: embedding ? resolveSettingPath(embedding) : "",
    lora: { rank: config.get<number>("lora.rank", 8), depth: config.get<number>("lora.depth", 1), scale: config.get<number>("lora.scale", 1) },
    search: { budget: config.get<number>("search.budget", 3), maxRounds: config.get<number>("search.maxRounds", 3) },
  };
  await mustExist(settings.router, "haps.models.router");
  if (settings.embedding) await mustExist(settings.embedding, "haps.models.embedding");
  for (const [i, c] of settings.candidates.entries()) await mustExist(c.model, `haps.models.candidates[${i}].model`);
  const { config: built, names } = settingsConfig(settings);
  const open = Object.fromEntries(Object.keys(names).map((id, i) => [id, settings.candidates[i].open ?? true]));
  const fromWorkspace = (["models.candidates", "models.router", "models.embedding"] as const).filter(setByWorkspace);
  return { params: { config: built }, label: "settings", names, open, workspaceOrigin: fromWorkspace.length > 0 ? `${fromWorkspace.map((k) => `haps.${k}`).join(", ")} in this workspace's settings` : null };
}

/** Whether the effective value of `haps.<key>` is the workspace's (or a workspace folder's), not the user's. */
export function setByWorkspace(key: string): boolean {
  const inspected = vscode.workspace.getConfiguration("haps").inspect(key);
  return inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined;
}

/** Whether a file lies inside one of the open workspace folders (a repository's file, not the user's). */
export function insideWorkspace(file: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((folder) => {
    const relative = path.relative(folder.uri.fsPath, file);
    return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
  });
}

/**
 * A configuration that the workspace chose may not name environment variables (`apiKeyEnv`) as keys: a repository
 * could otherwise send the user's keys to a server of its choosing. Keys for such configurations are stored with
 * HAPS: Set API Key, bound to the server they were stored for.
 */
async function refuseKeyEnvironment(file: string, origin: string): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return; // the engine reports an unreadable file with its line and column
  }
  const candidates = (raw as { candidates?: unknown }).candidates;
  if (!Array.isArray(candidates)) return;
  const index = candidates.findIndex((c) => c != null && typeof c === "object" && "apiKeyEnv" in c);
  if (index < 0) return;
  const name = JSON.stringify((candidates[index] as { apiKeyEnv: unknown }).apiKeyEnv);
  throw new HapsUserError(
    `${file}: candidates[${index}].apiKeyEnv names the environment variable ${name}, but this configuration comes from the workspace (${origin}): ` +
      "a workspace may not choose which of your environment variables are sent to a server. Remove apiKeyEnv and store the key with HAPS: Set API Key (it is then sent only to the server it was stored for), or set haps.configFile in your user settings to a file outside the workspace.",
    [ACTIONS.openSettings],
  );
}

async function mustExist(file: string, setting: string, what = "Model file"): Promise<void> {
  // A URI is downloaded before the route (downloads/ModelDownloads.ts), not expected on disk.
  if (isModelUri(file)) return;
  const info = await stat(file).catch(() => null);
  if (info?.isFile()) return;
  throw new HapsUserError(`${what} not found: ${file} (${setting}). Select the models again or fix the setting.`, [ACTIONS.selectModels, ACTIONS.openSettings]);
}
