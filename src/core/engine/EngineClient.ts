// Runs the engine (dist/engine.mjs) in a child process of its own and supervises it. llama.cpp aborts the whole
// process on some bad inputs and can be killed for memory; both must end in a rejected request and a clear message,
// never in a dead or hanging host. No `vscode` import here: the CLI can use this too.
//
// The channel is JSON-RPC (vscode-jsonrpc) over the fork's IPC channel: requests, their cancellation and their
// progress (the events) are the library's; what stays here is the supervision - one engine at a time, started on
// demand, every pending request rejected with the crash's reason when it dies, a restart limit, a clean shutdown.
import { fork, type ChildProcess } from "node:child_process";
import { CancellationTokenSource, ResponseError, type CancellationToken, type MessageConnection } from "vscode-jsonrpc";
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from "vscode-jsonrpc/node";
import { ENGINE_ALLOCATOR_ENV, ENGINE_NODE_FLAGS } from "./allocatorEnv.ts";
import type { RuntimeOptions } from "../runtime/types.ts";
import type { HostApiKeys, HostHandlers, HostMethod } from "../host/types.ts";
import { emptyApiKeys } from "../host/hostServices.ts";
import { ENGINE_NOTIFICATIONS, hostRequestMethod, type EngineEvents, type EngineInit, type EngineMethod, type EngineRequestParams, type ParamsOf, type ResultOf } from "./protocol.ts";
import { errorDataOf, EVENT_PROGRESS, HOST_EVENT_PROGRESS, toResponseError } from "./rpc.ts";

export interface EngineClientOptions {
  /** Absolute path of the bundled engine entry (`dist/engine.mjs`). */
  enginePath: string;
  /** Options the engine's runtime starts with. Defaults to `{}`. */
  runtime?: Omit<RuntimeOptions, "onLog">;
  /**
   * The JavaScript runtime that runs the engine. Defaults to `process.execPath`; inside Electron (desktop VS Code)
   * that is the editor binary, which then runs as plain Node through `ELECTRON_RUN_AS_NODE=1`.
   */
  execPath?: string;
  /**
   * Extra runtime flags for the engine (e.g. `["--import", "tsx"]` to run the TypeScript source), after the engine's
   * own memory flags (ENGINE_NODE_FLAGS). Defaults to none.
   */
  execArgv?: string[];
  /**
   * Environment of the engine, on top of this process's environment as it is when the engine (re)starts.
   * Defaults to nothing extra.
   */
  env?: Record<string, string | undefined>;
  /** Restarts allowed within `restartWindowMs` before requests fail until `restart()`. Defaults to 3. */
  maxRestarts?: number;
  /** Defaults to 60 000 ms. */
  restartWindowMs?: number;
  /** How long `dispose()` waits for a clean exit before killing the engine. Defaults to 3 000 ms. */
  shutdownTimeoutMs?: number;
  /** Lines of the engine's stderr kept for crash reports (messages show the last few that are not stack frames).
   * Defaults to 100. */
  stderrLines?: number;
  /** Each line the engine writes to stdout or stderr. Defaults to dropping them (stderr is still kept for crashes). */
  onOutput?: (stream: "stdout" | "stderr", line: string) => void;
  /** llama.cpp's log lines, forwarded by the engine. Defaults to dropping them. */
  onLog?: (level: string, message: string) => void;
  /**
   * What this side answers when the engine asks (host/types.ts: `lmChat` for vscode-lm candidates). The engine is
   * told which methods exist when it starts; a configuration that needs one that is missing is refused there.
   * Defaults to none.
   */
  hostHandlers?: Partial<HostHandlers>;
  /** API keys for openai candidates, sent to each engine at its start (see `setApiKeys`). Defaults to none. */
  apiKeys?: HostApiKeys;
}

export interface EngineRequestOptions {
  /** Aborting cancels the JSON-RPC request (`$/cancelRequest`); the request then settles with the engine's answer (for `generate`, a result with
   * `stopReason: "abort"`). Already aborted: rejects at once, nothing is sent. */
  signal?: AbortSignal;
  /** Events the engine emits while this request runs (e.g. streamed tokens). */
  onEvent?: <E extends keyof EngineEvents>(event: E, data: EngineEvents[E]) => void;
}

export interface EngineCrash {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Last lines of the engine's stderr, oldest first. */
  stderrTail: string[];
  /** Methods that were running when it died. */
  pendingMethods: EngineMethod[];
}

/** The engine process died while requests were running (or failed to start). */
export class EngineCrashedError extends Error {
  override name = "EngineCrashedError";
  constructor(readonly crash: EngineCrash) {
    super(describeCrash(crash));
  }
}

/** The engine crashed too often in a short time; it stays down until `restart()` is called. */
export class EngineRestartLimitError extends Error {
  override name = "EngineRestartLimitError";
}

/** The engine's handler threw; `remoteStack` is the stack inside the engine process. */
export class EngineRequestError extends Error {
  constructor(message: string, name: string | undefined, readonly remoteStack: string | undefined) {
    super(message);
    this.name = name ?? "EngineRequestError";
  }
}

/** "exit code 1" / "signal SIGABRT", the part of a crash message a person reads first. */
export function crashReason(crash: Pick<EngineCrash, "exitCode" | "signal">): string {
  return crash.signal ? `signal ${crash.signal}` : `exit code ${crash.exitCode}`;
}

/**
 * Stack traces (Node's and ggml's backtraces) are dozens of frames; the line a person needs, such as a
 * `GGML_ASSERT(...) failed`, comes before them.
 */
function isStackTraceLine(line: string): boolean {
  return /^\s*$/.test(line) || /^\s*(#?\d+[:\s]|at\s)/.test(line) || /^\s*-{3,}.*-{3,}\s*$/.test(line);
}

function describeCrash(crash: EngineCrash): string {
  const during = crash.pendingMethods.length ? ` while running ${[...new Set(crash.pendingMethods)].join(", ")}` : "";
  const tail = crash.stderrTail
    .filter((line) => !isStackTraceLine(line))
    .slice(-5)
    .join("\n  ");
  return `HAPS engine crashed (${crashReason(crash)})${during}${tail ? `; last output:\n  ${tail}` : ""}`;
}

interface Pending {
  method: EngineMethod;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onEvent?: (event: keyof EngineEvents, data: unknown) => void;
  cleanup: () => void;
}

interface Running {
  child: ChildProcess;
  connection: MessageConnection;
  pending: Map<number, Pending>;
  stderrTail: string[];
  /** Host calls the engine made that are still running here. */
  hostCalls: Set<AbortController>;
  /** Set by dispose()/restart(): the exit that follows is not a crash. */
  stopping: boolean;
  /** 'error' and 'exit' can both report one death; it is handled once. */
  exited: boolean;
}

export class EngineClient {
  private readonly options: Required<Pick<EngineClientOptions, "maxRestarts" | "restartWindowMs" | "shutdownTimeoutMs" | "stderrLines">> &
    EngineClientOptions;
  private current: Running | null = null;
  private nextId = 1;
  private crashTimes: number[] = [];
  private lastCrash: EngineCrash | null = null;
  private disposed = false;
  private readonly crashListeners = new Set<(crash: EngineCrash) => void>();
  private apiKeys: HostApiKeys;

  constructor(options: EngineClientOptions) {
    this.options = { maxRestarts: 3, restartWindowMs: 60_000, shutdownTimeoutMs: 3_000, stderrLines: 100, ...options };
    this.apiKeys = options.apiKeys ?? emptyApiKeys();
  }

  /** Replaces the API keys: the running engine gets them at once, later engines at their start. */
  setApiKeys(keys: HostApiKeys): void {
    this.apiKeys = keys;
    if (this.current) this.notify(this.current, ENGINE_NOTIFICATIONS.apiKeys, keys);
  }

  /** Called after every unexpected exit of the engine; returns a function that unsubscribes. */
  onCrash(listener: (crash: EngineCrash) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  /** Whether an engine process is running now. */
  get running(): boolean {
    return this.current != null;
  }

  /** The engine's process id, or undefined when none runs. */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  /** Sends one request, starting the engine first when none runs. */
  request<M extends EngineMethod>(
    method: M,
    params: ParamsOf<M>,
    options: EngineRequestOptions = {},
  ): Promise<ResultOf<M>> {
    if (this.disposed) return Promise.reject(new Error("the HAPS engine client was disposed"));
    const { signal, onEvent } = options;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    let engine: Running;
    try {
      engine = this.ensureStarted();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    const progressToken = `request-${id}`;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      // Aborting cancels the JSON-RPC request; its promise then settles with the engine's own answer.
      const source = new CancellationTokenSource();
      const onAbort = () => source.cancel();
      signal?.addEventListener("abort", onAbort, { once: true });
      const progress = engine.connection.onProgress(EVENT_PROGRESS, progressToken, (m) => engine.pending.get(id)?.onEvent?.(m.event, m.data));
      engine.pending.set(id, {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        onEvent: onEvent as Pending["onEvent"],
        cleanup: () => {
          signal?.removeEventListener("abort", onAbort);
          progress.dispose();
          source.dispose();
        },
      });
      // Settles once: the answer, or (first) the exit handler's crash or stop.
      const settle = (finish: (p: Pending) => void) => {
        const pending = engine.pending.get(id);
        if (pending == null) return;
        engine.pending.delete(id);
        pending.cleanup();
        finish(pending);
      };
      const request: EngineRequestParams = { params, progressToken };
      Promise.resolve()
        .then(() => engine.connection.sendRequest(method, request, source.token))
        .then(
          (result) => settle((p) => p.resolve(result)),
          (error) => {
            // A closed connection means the engine is gone: its exit handler rejects with the reason.
            if (!(error instanceof ResponseError)) return;
            const data = errorDataOf(error)!;
            settle((p) => p.reject(new EngineRequestError(data.message, data.name, data.stack)));
          },
        );
    });
  }

  /**
   * Stops the engine (pending requests reject) and forgets earlier crashes; the next request starts a fresh one.
   * Use it after a settings change or when the restart limit was reached.
   */
  async restart(): Promise<void> {
    this.crashTimes = [];
    this.lastCrash = null;
    await this.stop("the HAPS engine was restarted");
  }

  /** Asks the engine to shut down, kills it after `shutdownTimeoutMs`; later requests reject. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop("the HAPS engine client was disposed");
  }

  private ensureStarted(): Running {
    if (this.current) return this.current;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.options.restartWindowMs);
    if (this.crashTimes.length > this.options.maxRestarts) {
      const seconds = Math.round(this.options.restartWindowMs / 1000);
      throw new EngineRestartLimitError(
        `HAPS engine crashed ${this.crashTimes.length} times in ${seconds} s; not restarting it until a manual restart. ` +
          `Last crash: ${this.lastCrash ? describeCrash(this.lastCrash) : "unknown"}`,
      );
    }
    return (this.current = this.spawnEngine());
  }

  private spawnEngine(): Running {
    const execPath = this.options.execPath ?? process.execPath;
    const env: Record<string, string | undefined> = { ...process.env, ...ENGINE_ALLOCATOR_ENV, ...this.options.env };
    // Inside Electron, process.execPath is the editor itself; this makes it behave as Node.
    if (process.versions.electron && execPath === process.execPath) env.ELECTRON_RUN_AS_NODE = "1";
    const child = fork(this.options.enginePath, [], {
      execPath,
      execArgv: [...ENGINE_NODE_FLAGS, ...(this.options.execArgv ?? [])],
      env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    const engine: Running = { child, connection, pending: new Map(), hostCalls: new Set(), stderrTail: [], stopping: false, exited: false };
    this.forwardLines(child.stdout!, (line) => this.options.onOutput?.("stdout", line));
    this.forwardLines(child.stderr!, (line) => {
      engine.stderrTail.push(line);
      if (engine.stderrTail.length > this.options.stderrLines) engine.stderrTail.shift();
      this.options.onOutput?.("stderr", line);
    });
    connection.onNotification(ENGINE_NOTIFICATIONS.log, ({ level, message }: EngineEvents["log"]) => this.options.onLog?.(level, message));
    connection.onRequest((method, params, token) => this.answerHostCall(engine, method, params as EngineRequestParams, token));
    // The engine's death is seen on the process (exit), not on the channel; the channel's errors are not reported twice.
    connection.onError(() => undefined);
    connection.listen();
    // 'error' covers a runtime that cannot be spawned at all; 'exit' may or may not follow it.
    child.on("error", (error) => {
      engine.stderrTail.push(`could not run ${execPath}: ${error.message}`);
      this.onExit(engine, child.exitCode, null);
    });
    child.on("exit", (code, signal) => this.onExit(engine, code, signal));
    const hostMethods = Object.keys(this.options.hostHandlers ?? {}) as HostMethod[];
    this.notify(engine, ENGINE_NOTIFICATIONS.init, { options: this.options.runtime ?? {}, hostMethods, apiKeys: this.apiKeys } satisfies EngineInit);
    return engine;
  }

  private forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) onLine(line);
    });
    stream.on("end", () => {
      if (buffered) onLine(buffered);
      buffered = "";
    });
  }

  /** Runs this side's handler for a call the engine made; its events go back as progress on the call's token. */
  private async answerHostCall(engine: Running, rpcMethod: string, request: EngineRequestParams, token: CancellationToken): Promise<unknown> {
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort(new DOMException("the engine cancelled the call", "AbortError")));
    engine.hostCalls.add(controller);
    try {
      const method = rpcMethod.startsWith("host/") ? (rpcMethod.slice("host/".length) as HostMethod) : null;
      const handler = (method != null && rpcMethod === hostRequestMethod(method) ? this.options.hostHandlers?.[method] : undefined) as
        | ((params: unknown, ctx: Parameters<HostHandlers[HostMethod]>[1]) => Promise<unknown>)
        | undefined;
      if (handler == null) throw new Error(`the engine's host does not answer "${method ?? rpcMethod}"`);
      return await handler(request?.params, {
        signal: controller.signal,
        emit: (event, data) => {
          if (!controller.signal.aborted) engine.connection.sendProgress(HOST_EVENT_PROGRESS, request.progressToken, { event, data }).catch(() => undefined);
        },
      });
    } catch (error) {
      throw toResponseError(error, false);
    } finally {
      cancel.dispose();
      engine.hostCalls.delete(controller);
    }
  }

  private onExit(engine: Running, exitCode: number | null, signal: NodeJS.Signals | null): void {
    if (engine.exited) return;
    engine.exited = true;
    // Nobody is left to answer: a model request the engine started here stops too.
    for (const call of engine.hostCalls) call.abort(new DOMException("the HAPS engine exited", "AbortError"));
    engine.connection.dispose();
    if (this.current === engine) this.current = null;
    const pending = [...engine.pending.values()];
    engine.pending.clear();
    if (engine.stopping) {
      for (const p of pending) {
        p.cleanup();
        p.reject(new Error("the HAPS engine was stopped before it answered"));
      }
      return;
    }
    // The stderr pipe may still hold the last words of a dying process; give it one turn of the event loop.
    setImmediate(() => {
      const crash: EngineCrash = {
        exitCode,
        signal,
        stderrTail: [...engine.stderrTail],
        pendingMethods: pending.map((p) => p.method),
      };
      this.lastCrash = crash;
      this.crashTimes.push(Date.now());
      const error = new EngineCrashedError(crash);
      for (const p of pending) {
        p.cleanup();
        p.reject(error);
      }
      for (const listener of this.crashListeners) listener(crash);
    });
  }

  private notify(engine: Running, method: string, params: unknown): void {
    if (!engine.child.connected) return; // its exit handler rejects what is pending
    engine.connection.sendNotification(method, params).catch((error: Error) => {
      // A send that fails means the channel closed under us: the engine is gone, and onExit reports it.
      engine.stderrTail.push(`could not send ${method} to the engine: ${error.message}`);
    });
  }

  private async stop(reason: string): Promise<void> {
    const engine = this.current;
    if (!engine) return;
    this.current = null;
    engine.stopping = true;
    for (const p of engine.pending.values()) {
      p.cleanup();
      p.reject(new Error(reason));
    }
    engine.pending.clear();
    const child = engine.child;
    if (child.exitCode != null || child.signalCode != null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    this.notify(engine, ENGINE_NOTIFICATIONS.shutdown, null);
    const timer = setTimeout(() => child.kill("SIGKILL"), this.options.shutdownTimeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
