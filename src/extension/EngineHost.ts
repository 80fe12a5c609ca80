// The extension's one engine: a supervised child process (EngineClient) started on first use, restarted when its
// settings change, and whose crashes become a warning instead of taking the extension host down.
import { mkdirSync } from "node:fs";
import * as vscode from "vscode";
import { EngineClient, crashReason, type EngineCrash } from "../core/engine/EngineClient.ts";
import type { EngineMethod, ParamsOf, ResultOf } from "../core/engine/protocol.ts";
import { ENGINE_SETTINGS, readEngineSettings } from "./engineSettings.ts";

/** llama.cpp's log levels worth a line in the output channel; its info/debug output is hundreds of lines per model. */
const LOGGED_LEVELS = new Set(["fatal", "error", "warn"]);

export class EngineHost implements vscode.Disposable {
  private client: EngineClient | null = null;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (ENGINE_SETTINGS.some((s) => e.affectsConfiguration(s))) {
          this.output.appendLine("Engine settings changed; the engine restarts with them on the next request.");
          void this.restart();
        }
      }),
    );
  }

  request<M extends EngineMethod>(method: M, params: ParamsOf<M>, options?: { signal?: AbortSignal }): Promise<ResultOf<M>> {
    return this.getClient().request(method, params, options);
  }

  /** Stops the engine and forgets its crashes; the next request starts a new one with the current settings. */
  async restart(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.dispose();
  }

  async dispose(): Promise<void> {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    await this.restart();
  }

  private getClient(): EngineClient {
    if (this.client) return this.client;
    const cacheDir = this.context.globalStorageUri.fsPath;
    mkdirSync(cacheDir, { recursive: true });
    const client = new EngineClient({
      enginePath: this.context.asAbsolutePath("dist/engine.mjs"),
      runtime: readEngineSettings(),
      env: { HAPS_CACHE_DIR: cacheDir },
      onOutput: (_stream, line) => this.output.appendLine(`[engine] ${line}`),
      onLog: (level, message) => {
        if (LOGGED_LEVELS.has(level)) this.output.appendLine(`[llama.cpp ${level}] ${message.trimEnd()}`);
      },
    });
    client.onCrash((crash) => this.reportCrash(crash));
    return (this.client = client);
  }

  private reportCrash(crash: EngineCrash): void {
    const reason = crashReason(crash);
    this.output.appendLine(`HAPS engine crashed (${reason}). Last output of the engine:`);
    for (const line of crash.stderrTail) this.output.appendLine(`  ${line}`);
    void vscode.window
      .showWarningMessage(`HAPS engine crashed (${reason}); it will restart on the next request.`, "Show Log")
      .then((choice) => choice && this.output.show(true));
  }
}
