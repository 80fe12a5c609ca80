// The engine's own process: started by EngineClient with child_process.fork, it owns llama.cpp so that a native
// abort or an out-of-memory kill takes down only this process, never the editor's extension host.
//
// Environment read here:
// - HAPS_CACHE_DIR: where the default models are generated (the extension passes its global storage folder).
//   Defaults to the engine's own default cache folder.
// - HAPS_ENGINE_CRASH_ON: TEST HOOK. A comma-separated list of method names; when one of them is requested the
//   process calls `process.abort()`, which is what a failed assertion inside llama.cpp does. It lets tests check
//   the supervisor against a real native-style crash without adding a "crash" method to the protocol.
import { setHostApiKeys, setHostCaller } from "../host/hostServices.ts";
import { createEngineHandlers } from "./handlers.ts";
import { HostCallChannel } from "./HostCallChannel.ts";
import type { EngineHandlers, EngineMethod, ErrorData, FromEngine, ToEngine } from "./protocol.ts";

type Handlers = EngineHandlers & { dispose(): Promise<void> };

/** How long `shutdown` waits for the runtime to free its models before exiting anyway. */
const DISPOSE_TIMEOUT_MS = 5_000;

const crashOn = new Set(
  (process.env.HAPS_ENGINE_CRASH_ON ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

let handlers: Handlers | null = null;
/** Calls to the parent (vscode.lm and the like), when the parent said it answers any. */
let host: HostCallChannel | null = null;
let initError: Error | null = null;
const running = new Map<number, AbortController>();
let shuttingDown = false;

function send(message: FromEngine): void {
  // After the parent has gone, there is nobody to tell; `disconnect` below ends the process.
  if (process.connected) process.send!(message);
}

function errorData(error: unknown): ErrorData {
  if (error instanceof Error) return { message: error.message, name: error.name, stack: error.stack };
  return { message: String(error) };
}

function init({ options, hostMethods, apiKeys }: Extract<ToEngine, { kind: "init" }>): void {
  // Before the handlers: a configuration read later checks what the host can answer (vscode-lm candidates).
  if (hostMethods != null && hostMethods.length > 0) {
    host = new HostCallChannel(send, new Set(hostMethods));
    setHostCaller(host);
  }
  if (apiKeys != null) setHostApiKeys(apiKeys);
  try {
    handlers = createEngineHandlers({
      ...options,
      cacheDir: process.env.HAPS_CACHE_DIR || undefined,
      // llama.cpp's log is the only place some failures are explained; the parent decides what to keep.
      onLog: (level, message) => send({ kind: "event", id: null, event: "log", data: { level, message } }),
    });
  } catch (error) {
    // Answered on every request, so the parent sees the reason instead of a silent, useless engine.
    initError = error instanceof Error ? error : new Error(String(error));
  }
  send({ kind: "ready" });
}

async function handleRequest(id: number, method: EngineMethod, params: unknown): Promise<void> {
  if (crashOn.has(method)) {
    // Said first, so that nobody reading a crash report mistakes the test hook for a real llama.cpp failure.
    process.stderr.write(`HAPS_ENGINE_CRASH_ON: aborting on "${method}" (test hook)\n`, () => process.abort());
    return;
  }
  const controller = new AbortController();
  running.set(id, controller);
  try {
    if (handlers == null) {
      throw new Error(initError ? `engine failed to initialise: ${initError.message}` : "engine was not initialised");
    }
    const handler = handlers[method] as (
      params: unknown,
      ctx: Parameters<EngineHandlers[EngineMethod]>[1],
    ) => Promise<unknown>;
    if (typeof handler !== "function") throw new Error(`unknown engine method "${method}"`);
    const result = await handler(params, {
      signal: controller.signal,
      emit: (event, data) => send({ kind: "event", id, event, data }),
    });
    send({ kind: "result", id, result });
  } catch (error) {
    send({ kind: "error", id, error: errorData(error) });
  } finally {
    running.delete(id);
  }
}

async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    for (const controller of running.values()) controller.abort();
    host?.rejectAll("the HAPS engine is shutting down");
    const disposed = handlers?.dispose().catch(() => undefined);
    await Promise.race([disposed, new Promise((resolve) => setTimeout(resolve, DISPOSE_TIMEOUT_MS).unref())]);
  }
  process.exit(code);
}

process.on("message", (message: ToEngine) => {
  switch (message.kind) {
    case "init":
      init(message);
      break;
    case "apiKeys":
      setHostApiKeys(message.apiKeys);
      break;
    case "hostResult":
    case "hostEvent":
    case "hostError":
      host?.receive(message);
      break;
    case "request":
      void handleRequest(message.id, message.method, message.params);
      break;
    case "cancel":
      running.get(message.id)?.abort();
      break;
    case "shutdown":
      void shutdown(0);
      break;
  }
});

// The parent died or closed the channel: an engine nobody can talk to would only hold memory.
process.on("disconnect", () => void shutdown(0));

if (!process.send) {
  process.stderr.write("engine.mjs is the HAPS engine process; it must be started with child_process.fork.\n");
  process.exit(2);
}
