// The extension's one engine: a supervised child process (EngineClient) started on first use, restarted when its
// settings change, and whose crashes become a warning instead of taking the extension host down.
import { mkdirSync } from "node:fs";
import * as vscode from "vscode";
import { EngineClient, crashReason, type EngineCrash, type EngineRequestOptions } from "../core/engine/EngineClient.ts";
import type { EngineMethod, ParamsOf, ResultOf } from "../core/engine/protocol.ts";
import type { RuntimeInfo } from "../core/runtime/types.ts";
import type { HostApiKeys, HostHandlers } from "../core/host/types.ts";
import { emptyApiKeys } from "../core/host/hostServices.ts";
import { ENGINE_SETTINGS, readEngineSettings, sharedModelCacheDir } from "./engineSettings.ts";

/** llama.cpp's log levels worth a line in the output channel; its info/debug output is hundreds of lines per model. */
const LOGGED_LEVELS = new Set(["fatal", "error", "warn"]);

/** What the engine may ask of the extension, and the API keys it gets. */
export interface EngineHostServices {
  /** Host calls the extension answers (vscode-lm turns). Defaults to none. */
  hostHandlers?: Partial<HostHandlers>;
  /** Keys for openai candidates: read before the first request, and sent again whenever they change. Defaults to none. */
  apiKeys?: { all(): Promise<HostApiKeys>; onDidChange: vscode.Event<HostApiKeys> };
}

export class EngineHost implements vscode.Disposable {
  private client: EngineClient | null = null;
  private readonly subscriptions: vscode.Disposable[] = [];
  private active = 0;
  private sent = 0;
  private readonly activity = new vscode.EventEmitter<number>();
  private readonly runtimeInfoChanged = new vscode.EventEmitter<RuntimeInfo | null>();
  private info: RuntimeInfo | null = null;
  /** The number of requests in flight changed (the chat's Stop waits for 0). */
  readonly onDidChangeActivity = this.activity.event;
  /** What the running engine reported about itself (null: no engine runs). */
  readonly onDidChangeRuntimeInfo = this.runtimeInfoChanged.event;

  /** The keys the next engine starts with; loaded once, then kept current by onDidChange. */
  private apiKeys: Promise<HostApiKeys>;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly services: EngineHostServices = {},
  ) {
    this.apiKeys = services.apiKeys?.all() ?? Promise.resolve(emptyApiKeys());
    if (services.apiKeys) {
      this.subscriptions.push(
        services.apiKeys.onDidChange((keys) => {
          this.apiKeys = Promise.resolve(keys);
          this.client?.setApiKeys(keys);
        }),
      );
    }
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (ENGINE_SETTINGS.some((s) => e.affectsConfiguration(s))) {
          this.output.info("Engine settings changed; the engine restarts with them on the next request.");
          void this.restart();
        }
      }),
    );
  }

  /** Requests answered by the engine so far and still running; 0 means the engine is idle. */
  get activeRequests(): number {
    return this.active;
  }

  /** The last runtime info of the running engine, or null before it has reported. */
  get runtimeInfo(): RuntimeInfo | null {
    return this.info;
  }

  /** Requests sent to the engine since the extension started (what a caller triggered, whether or not it ran). */
  get requestsSent(): number {
    return this.sent;
  }

  async request<M extends EngineMethod>(method: M, params: ParamsOf<M>, options?: EngineRequestOptions): Promise<ResultOf<M>> {
    this.sent++;
    const client = this.getClient(await this.apiKeys.catch(() => (emptyApiKeys())));
    // A request to an engine that is not running starts one (first use, or after a crash).
    const starting = !client.running;
    this.activity.fire(++this.active);
    const pending = client.request(method, params, options);
    if (starting && method !== "runtimeInfo") void this.learnRuntimeInfo(client);
    try {
      const result = await pending;
      if (method === "runtimeInfo" && client === this.client) this.setInfo(result as RuntimeInfo);
      return result;
    } finally {
      this.activity.fire(--this.active);
    }
  }

  /** Stops the engine and forgets its crashes; the next request starts a new one with the current settings. */
  async restart(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.setInfo(null);
    await client?.dispose();
  }

  async dispose(): Promise<void> {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    await this.restart();
    this.activity.dispose();
    this.runtimeInfoChanged.dispose();
  }

  /** A fresh engine's backend and devices, for the status bar; a failure here is the next request's to report. */
  private async learnRuntimeInfo(client: EngineClient): Promise<void> {
    if (this.info != null || client !== this.client) return;
    // Counted like any request: "idle" means nothing at all runs in the engine.
    this.activity.fire(++this.active);
    const info = await client.request("runtimeInfo", {}).catch(() => null);
    this.activity.fire(--this.active);
    if (info != null && client === this.client) this.setInfo(info);
  }

  private setInfo(info: RuntimeInfo | null): void {
    this.info = info;
    this.runtimeInfoChanged.fire(info);
  }

  private getClient(apiKeys: HostApiKeys): EngineClient {
    if (this.client) return this.client;
    const cacheDir = this.context.globalStorageUri.fsPath;
    mkdirSync(cacheDir, { recursive: true });
    const client = new EngineClient({
      enginePath: this.context.asAbsolutePath("dist/engine.mjs"),
      runtime: readEngineSettings(),
      // The embedded models are generated in the extension's storage; downloads go to the cache the CLI shares.
      env: { HAPS_CACHE_DIR: cacheDir, HAPS_MODELS_DIR: sharedModelCacheDir() },
      hostHandlers: this.services.hostHandlers,
      apiKeys,
      onOutput: (_stream, line) => this.output.info(`[engine] ${line}`),
      onLog: (level, message) => {
        if (!LOGGED_LEVELS.has(level)) return;
        // llama.cpp's own level decides the log line's.
        const line = `[llama.cpp] ${message.trimEnd()}`;
        if (level === "error" || level === "fatal") this.output.error(line);
        else if (level === "warn") this.output.warn(line);
        else this.output.info(line);
      },
    });
    client.onCrash((crash) => {
      this.setInfo(null);
      this.reportCrash(crash);
    });
    return (this.client = client);
  }

  private reportCrash(crash: EngineCrash): void {
    const reason = crashReason(crash);
    this.output.error(`HAPS engine crashed (${reason}). Last output of the engine:`);
    for (const line of crash.stderrTail) this.output.error(`  ${line}`);
    void vscode.window
      .showWarningMessage(`HAPS engine crashed (${reason}); it will restart on the next request.`, "Show Log")
      .then((choice) => choice && this.output.show(true));
  }
}
