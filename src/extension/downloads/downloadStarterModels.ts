// "HAPS: Download Starter Models": the starter set (src/core/download/starterSet.ts: a ~1B router, two candidates, an
// embedding model) with each file's size, a question before anything is fetched, the download with the progress
// notification, then a configuration file that names the models by their URIs (found in the cache from then on) and
// an offer to use it (haps.configFile).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import { formatBytes } from "../../core/download/formatDownload.ts";
import { starterConfigJson, starterSet, type StarterModel } from "../../core/download/starterSet.ts";
import type { ModelDownloads } from "./ModelDownloads.ts";

/** For automation and tests: another set of models (e.g. served on loopback), and an answer to the question. */
export interface DownloadStarterArgs {
  models?: StarterModel[];
  /** Skips the question ("Download") and the offer to use the configuration (`true`: use it). */
  assumeYes?: boolean;
}

/** The question asked before downloading: every file with its size, and the total. */
export function starterQuestion(models: readonly StarterModel[]): { message: string; detail: string } {
  const total = models.reduce((n, m) => n + m.approxBytes, 0);
  return {
    message: `Download the HAPS starter models (about ${formatBytes(total)})?`,
    detail: models.map((m) => `${m.role} ${m.id}: ~${formatBytes(m.approxBytes)} - ${m.description}`).join("\n"),
  };
}

/** Resolves with the configuration file written, or undefined when the user declined. */
export async function downloadStarterModels(downloads: ModelDownloads, storageDir: string, rawArgs?: unknown): Promise<string | undefined> {
  const args = (rawArgs != null && typeof rawArgs === "object" ? rawArgs : {}) as DownloadStarterArgs;
  const models = Array.isArray(args.models) && args.models.length > 0 ? args.models : starterSet();
  const question = starterQuestion(models);
  if (args.assumeYes !== true) {
    const answer = await vscode.window.showInformationMessage(question.message, { modal: true, detail: question.detail }, "Download");
    if (answer !== "Download") return undefined;
  }
  await downloads.download({ uris: models.map((m) => ({ field: m.id, uri: m.uri, sha256: m.sha256 })) }, "HAPS: downloading the starter models");
  const file = path.join(storageDir, "haps-starter.json");
  await writeFile(file, `${JSON.stringify(starterConfigJson(models), null, 2)}\n`);
  const use = args.assumeYes === true ? "Use It" : await vscode.window.showInformationMessage(`Starter models downloaded; their configuration is ${file}.`, "Use It", "Open It");
  if (use === "Use It") await vscode.workspace.getConfiguration("haps").update("configFile", file, vscode.ConfigurationTarget.Global);
  else if (use === "Open It") await vscode.window.showTextDocument(vscode.Uri.file(file));
  return file;
}
