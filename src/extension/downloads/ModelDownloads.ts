// Model settings that are URIs (`hf:...`, `https://...`), fetched by the engine (node-llama-cpp's downloader, which
// must not run in the extension host) into the extension's global storage, where routes find them. While files come
// in, a notification shows each one's bytes, speed and time left, with Cancel; a cancelled download keeps its partial
// file and resumes on the next route. What the notification shows is also an event, for tests.
import { readFile } from "node:fs/promises";
import * as vscode from "vscode";
import type { DownloadModelsParams, DownloadModelsResult, ModelDownloadEvent } from "../../core/download/downloadModels.ts";
import { formatBytes, formatEta } from "../../core/download/formatDownload.ts";
import type { EngineHost } from "../EngineHost.ts";
import { ACTIONS, HapsUserError } from "../errors/HapsUserError.ts";

/** What the progress notification says, as it says it. */
export interface DownloadReport {
  title: string;
  message: string;
  event: ModelDownloadEvent;
}

/** Whether a route's model settings may name URIs: a cheap look before asking the engine, which decides exactly. */
export async function mayNameModelUris(params: { configPath?: string; config?: unknown }): Promise<boolean> {
  const text = params.configPath != null ? await readFile(params.configPath, "utf8").catch(() => "") : params.config != null ? JSON.stringify(params.config) : "";
  return /"(?:hf:|https?:\/\/)/i.test(text);
}

const ALLOWED_DOWNLOADS_KEY = "haps.allowedWorkspaceDownloads";

export class ModelDownloads implements vscode.Disposable {
  private readonly reported = new vscode.EventEmitter<DownloadReport>();
  private current: AbortController | null = null;
  /** Each change of the notification's text. */
  readonly onDidReport = this.reported.event;

  constructor(
    private readonly engine: EngineHost,
    private readonly output: vscode.LogOutputChannel,
    /** Where the download URLs a workspace named and the user allowed are remembered. */
    private readonly workspaceState?: vscode.Memento,
  ) {}

  /** Whether a download is running now. */
  get busy(): boolean {
    return this.current != null;
  }

  /** Cancels the running download, as the notification's Cancel does. */
  cancel(): void {
    this.current?.abort();
  }

  /**
   * Makes the URI model settings of a route's configuration available: nothing to do when they are all in the
   * cache; otherwise they are downloaded with the progress notification. Rejects with a HapsUserError when the user
   * cancels.
   */
  async ensureForRoute(params: { configPath?: string; config?: unknown }, workspaceOrigin: string | null = null): Promise<void> {
    if (!(await mayNameModelUris(params))) return;
    const status = await this.engine.request("downloadModels", { ...params, dryRun: true });
    const missing = status.files.filter((f) => f.file == null);
    if (missing.length === 0) return;
    // URLs that a repository chose: the user says yes first (a download fetches from a server of the workspace's
    // choosing and fills the disk); a URL once allowed is not asked about again in this workspace.
    if (workspaceOrigin != null) await this.confirmWorkspaceDownloads(missing.map((f) => f.uri), workspaceOrigin);
    this.output.info(`Downloading ${missing.map((f) => `${f.field} (${f.uri})`).join(", ")} into ${status.dir}`);
    await this.download(params, `HAPS: downloading ${missing.length === 1 ? "a model" : `${missing.length} models`} for the configured settings`);
  }

  /** Downloads with the progress notification; resolves with the files, rejects with a HapsUserError on cancel. */
  async download(params: DownloadModelsParams, title: string): Promise<DownloadModelsResult> {
    if (this.current != null) throw new HapsUserError("HAPS is already downloading models; wait for it or cancel it.", []);
    const controller = new AbortController();
    this.current = controller;
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const onCancel = token.onCancellationRequested(() => controller.abort());
        let shownPercent = 0;
        try {
          return await this.engine.request("downloadModels", params, {
            signal: controller.signal,
            onEvent: (name, data) => {
              if (name !== "download") return;
              const event = data as ModelDownloadEvent;
              const message = describeDownload(event);
              // The notification's bar measures the file in hand; it restarts with each file.
              const percent = event.type === "progress" && event.progress.totalBytes > 0 ? (100 * event.progress.downloadedBytes) / event.progress.totalBytes : event.type === "done" ? 100 : 0;
              if (event.type === "start") shownPercent = 0;
              progress.report({ message, increment: Math.max(0, percent - shownPercent) });
              shownPercent = Math.max(shownPercent, percent);
              this.reported.fire({ title, message, event });
              if (event.type === "done") this.output.info(`Downloaded ${event.field}: ${event.file}`);
            },
          });
        } finally {
          onCancel.dispose();
        }
      });
    } catch (error) {
      if (controller.signal.aborted) {
        this.output.warn("Model download cancelled; the partial file is kept and the next download resumes it.");
        throw new HapsUserError("Model download cancelled. The partial file is kept: the next route (or download) resumes it.", [ACTIONS.showLog]);
      }
      throw error;
    } finally {
      this.current = null;
    }
  }

  private async confirmWorkspaceDownloads(uris: string[], origin: string): Promise<void> {
    const allowed = new Set(this.workspaceState?.get<string[]>(ALLOWED_DOWNLOADS_KEY, []) ?? []);
    const asked = [...new Set(uris)].filter((uri) => !allowed.has(uri));
    if (asked.length === 0) return;
    // A dialog that cannot be shown (VS Code refuses dialogs in extension tests) counts as no.
    const answer = await Promise.resolve(
      vscode.window.showWarningMessage(
        `This workspace asks HAPS to download ${asked.length === 1 ? "a model" : `${asked.length} models`} (from ${origin}). Download?`,
        { modal: true, detail: asked.join("\n") },
        "Download",
      ),
    ).catch(() => undefined);
    if (answer !== "Download") {
      this.output.warn(`Declined to download ${asked.join(", ")} (named by ${origin}).`);
      throw new HapsUserError(`Not downloaded: ${asked.join(", ")} (named by ${origin}). Download them on purpose, or choose other models.`, [ACTIONS.selectModels, ACTIONS.openSettings]);
    }
    for (const uri of asked) allowed.add(uri);
    await this.workspaceState?.update(ALLOWED_DOWNLOADS_KEY, [...allowed]);
  }

  dispose(): void {
    this.cancel();
    this.reported.dispose();
  }
}

/** "candidates[0].model (2 of 3): 12.5 MB of 80.0 MB, 4.1 MB/s, 16s left". */
export function describeDownload(event: ModelDownloadEvent): string {
  const which = `${event.field}${event.count > 1 ? ` (${event.index + 1} of ${event.count})` : ""}`;
  if (event.type === "start") return `${which}: starting`;
  if (event.type === "done") return `${which}: done`;
  const p = event.progress;
  const speed = p.bytesPerSecond > 0 ? `${formatBytes(p.bytesPerSecond)}/s` : "measuring speed";
  return `${which}: ${formatBytes(p.downloadedBytes)} of ${formatBytes(p.totalBytes)}, ${speed}, ${formatEta(p.etaSeconds)} left`;
}
