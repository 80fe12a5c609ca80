// The engine's own process: started by EngineClient with child_process.fork, it owns llama.cpp so that a native
// abort or an out-of-memory kill takes down only this process, never the editor's extension host.
//
// Environment read here:
// - HAPS_CACHE_DIR: where the default models are generated (the extension passes its global storage folder).
//   Defaults to the engine's own default cache folder.
// - HAPS_ENGINE_CRASH_ON: TEST HOOK. A comma-separated list of method names; when one of them is requested the
//   process calls `process.abort()`, which is what a failed assertion inside llama.cpp does. It lets tests check
//   the supervisor against a real native-style crash without adding a "crash" method to the protocol.
// - HAPS_ENGINE_MEMORY_PROBE: BENCH HOOK. "1", with node's --expose-gc among the engine's flags, answers the request
//   "memoryAfterGc": two full garbage collections, then the process's memory. `haps bench` reads the engine's live
//   memory with it (RSS otherwise holds whatever V8 has not collected yet, a swing of tens of MiB).
import v8 from "node:v8";
import vm from "node:vm";
import { ResponseError, type CancellationToken } from "vscode-jsonrpc";
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from "vscode-jsonrpc/node";
import type { HostApiKeys } from "../host/types.ts";
import { setHostApiKeys, setHostCaller } from "../host/hostServices.ts";
import { createEngineHandlers } from "./handlers.ts";
import { HostCallChannel } from "./HostCallChannel.ts";
import { ENGINE_NOTIFICATIONS, type EngineHandlers, type EngineInit, type EngineMethod, type EngineRequestParams } from "./protocol.ts";
import { EVENT_PROGRESS, toResponseError } from "./rpc.ts";
import { findNativeBinary } from "../native/nativeLayer.ts";
import { ReceivedBuffers } from "./ReceivedBuffers.ts";

type Handlers = EngineHandlers & { dispose(): Promise<void> };

/** How long `shutdown` waits for the runtime to free its models before exiting anyway. */
const DISPOSE_TIMEOUT_MS = 5_000;

const crashOn = new Set(
  (process.env.HAPS_ENGINE_CRASH_ON ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

if (!process.send) {
  process.stderr.write("engine.mjs is the HAPS engine process; it must be started with child_process.fork.\n");
  process.exit(2);
}

// The parent's end is EngineClient; the transport is the fork's IPC channel.
const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));

let handlers: Handlers | null = null;
/** Calls to the parent (vscode.lm and the like), when the parent said it answers any. */
let host: HostCallChannel | null = null;
let initError: Error | null = null;
const running = new Set<AbortController>();
let shuttingDown = false;
/** Collects the adapters requests brought in, once enough have piled up (see ReceivedBuffers.ts). */
const received = new ReceivedBuffers(fullCollection());

/** V8's full collection, exposed to a fresh context (the engine's own flags may lack --expose-gc); a no-op if refused. */
function fullCollection(): () => void {
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return () => undefined;
  }
}

/** Said to the parent unless it has gone (then `disconnect` below ends the process). */
function notifyParent(method: string, params: unknown): void {
  if (process.connected) connection.sendNotification(method, params).catch(() => undefined);
}

function init({ options, hostMethods, apiKeys }: EngineInit): void {
  // Before the handlers: a configuration read later checks what the host can answer (vscode-lm candidates).
  if (hostMethods != null && hostMethods.length > 0) {
    host = new HostCallChannel(connection, new Set(hostMethods));
    setHostCaller(host);
  }
  if (apiKeys != null) setHostApiKeys(apiKeys);
  try {
    handlers = createEngineHandlers({
      ...options,
      cacheDir: process.env.HAPS_CACHE_DIR || undefined,
      // llama.cpp's log is the only place some failures are explained; the parent decides what to keep.
      onLog: (level, message) => notifyParent(ENGINE_NOTIFICATIONS.log, { level, message }),
    });
  } catch (error) {
    // Answered on every request, so the parent sees the reason instead of a silent, useless engine.
    initError = error instanceof Error ? error : new Error(String(error));
  }
}

async function handleRequest(method: string, raw: unknown, token: CancellationToken): Promise<unknown> {
  if (crashOn.has(method)) {
    // Said first, so that nobody reading a crash report mistakes the test hook for a real llama.cpp failure.
    process.stderr.write(`HAPS_ENGINE_CRASH_ON: aborting on "${method}" (test hook)\n`, () => process.abort());
    return await new Promise<never>(() => undefined);
  }
  if (method === "memoryAfterGc" && process.env.HAPS_ENGINE_MEMORY_PROBE === "1") return await memoryAfterGc();
  const { params, progressToken } = (raw ?? {}) as Partial<EngineRequestParams>;
  const controller = new AbortController();
  const cancel = token.onCancellationRequested(() => controller.abort());
  running.add(controller);
  try {
    if (handlers == null) {
      throw new Error(initError ? `engine failed to initialise: ${initError.message}` : "engine was not initialised");
    }
    const handler = handlers[method as EngineMethod] as (
      params: unknown,
      ctx: Parameters<EngineHandlers[EngineMethod]>[1],
    ) => Promise<unknown>;
    if (typeof handler !== "function" || !Object.hasOwn(handlers, method) || method === "dispose") throw new Error(`unknown engine method "${method}"`);
    return await handler(params, {
      signal: controller.signal,
      emit: (event, data) => {
        if (progressToken != null && process.connected) connection.sendProgress(EVENT_PROGRESS, progressToken, { event, data }).catch(() => undefined);
      },
    });
  } catch (error) {
    throw error instanceof ResponseError ? error : toResponseError(error, true);
  } finally {
    cancel.dispose();
    running.delete(controller);
    received.finished(params);
  }
}

/** The bench hook (see HAPS_ENGINE_MEMORY_PROBE): memory in MiB after two full collections. */
async function memoryAfterGc(): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc == null) throw new Error("memoryAfterGc needs node's --expose-gc in the engine's flags");
  gc();
  gc();
  // Let finalizers and the backing stores V8 frees off the main thread settle, then give the freed pages back as the
  // runtime does after each call (malloc_trim, when the native layer's binary is there).
  await new Promise((resolve) => setTimeout(resolve, 50));
  const binary = findNativeBinary();
  let trimmed = 0;
  if (binary != null) {
    try {
      const module = { exports: {} as { mallocTrim?: () => void } };
      process.dlopen(module, binary);
      module.exports.mallocTrim?.();
      trimmed = 1;
    } catch {
      // The reading is then what glibc still holds, freed or not; `trimmed` says so.
    }
  }
  const m = process.memoryUsage();
  const mib = (bytes: number) => bytes / 1048576;
  return { trimmed, rssMiB: mib(m.rss), heapTotalMiB: mib(m.heapTotal), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers) };
}

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    for (const controller of running) controller.abort();
    host?.rejectAll("the HAPS engine is shutting down");
    const disposed = handlers?.dispose().catch(() => undefined);
    await Promise.race([disposed, new Promise((resolve) => setTimeout(resolve, DISPOSE_TIMEOUT_MS).unref())]);
  }
  process.exit(code);
}

connection.onNotification(ENGINE_NOTIFICATIONS.init, (params: EngineInit) => init(params));
connection.onNotification(ENGINE_NOTIFICATIONS.apiKeys, (keys: HostApiKeys) => setHostApiKeys(keys));
connection.onNotification(ENGINE_NOTIFICATIONS.shutdown, () => void shutdown(0));
connection.onRequest((method, params, token) => handleRequest(method, params, token));
connection.listen();

// The parent died or closed the channel: an engine nobody can talk to would only hold memory.
process.on("disconnect", () => void shutdown(0));

