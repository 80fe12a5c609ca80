// "HAPS: Manage Downloaded Models": the models in the cache that the CLI and the extension share
// (core/download/modelCache.ts), each with its size and the URI it came from; the ones the user picks are deleted
// after a question. Plain file work in the extension host: nothing of llama.cpp is needed to list or delete files.
import * as vscode from "vscode";
import { formatBytes } from "../../core/download/formatDownload.ts";
import { listCachedModels, removeCachedModel, type CachedModel } from "../../core/download/modelCache.ts";

/** For automation and tests: the ids (or URIs) to delete, which skip the picker and the question. */
export interface ManageModelsArgs {
  delete?: string[];
}

export interface ManageModelsResult {
  dir: string;
  /** The models in the cache before anything was deleted. */
  models: CachedModel[];
  deleted: CachedModel[];
}

export async function manageModels(dir: string, output: vscode.LogOutputChannel, rawArgs?: unknown): Promise<ManageModelsResult> {
  const args = (rawArgs != null && typeof rawArgs === "object" ? rawArgs : {}) as ManageModelsArgs;
  const models = await listCachedModels(dir);
  let chosen: string[];
  if (Array.isArray(args.delete)) chosen = args.delete.filter((x): x is string => typeof x === "string");
  else {
    if (models.length === 0) {
      void vscode.window.showInformationMessage(`HAPS: no downloaded models in ${dir}.`);
      return { dir, models, deleted: [] };
    }
    const total = models.reduce((n, m) => n + m.bytes, 0);
    const picked = await vscode.window.showQuickPick(
      models.map((m) => ({ label: m.uri ?? `${m.id} (unfinished download)`, description: formatBytes(m.bytes), detail: m.files.map((f) => f.path).join(", "), id: m.id })),
      { title: `HAPS: Downloaded Models (${formatBytes(total)} in ${dir})`, placeHolder: "Pick the models to delete", canPickMany: true },
    );
    if (picked == null || picked.length === 0) return { dir, models, deleted: [] };
    const size = formatBytes(models.filter((m) => picked.some((p) => p.id === m.id)).reduce((n, m) => n + m.bytes, 0));
    const answer = await vscode.window.showWarningMessage(`Delete ${picked.length === 1 ? "this model" : `${picked.length} models`} (${size})?`, { modal: true, detail: picked.map((p) => p.label).join("\n") }, "Delete");
    if (answer !== "Delete") return { dir, models, deleted: [] };
    chosen = picked.map((p) => p.id);
  }
  const deleted: CachedModel[] = [];
  for (const which of chosen) {
    const removed = await removeCachedModel(dir, which);
    if (removed == null) output.warn(`Manage Downloaded Models: no model "${which}" in ${dir}`);
    else {
      deleted.push(removed);
      output.info(`Deleted the downloaded model ${removed.uri ?? removed.id} (${formatBytes(removed.bytes)}).`);
    }
  }
  return { dir, models, deleted };
}
