// The engine's side of host calls (host/types.ts): a call goes to the parent as a `host/<method>` JSON-RPC request,
// its streamed pieces come back as progress on the call's token, its answer as the response. Cancelling sends
// JSON-RPC's `$/cancelRequest` and rejects at once with the signal's reason: the episode stops now, and whatever the
// host still answers for that call is dropped.
import { CancellationTokenSource, type MessageConnection } from "vscode-jsonrpc";
import type { HostCallOptions, HostCaller, HostMethod, HostMethods } from "../host/types.ts";
import { hostRequestMethod, type EngineRequestParams } from "./protocol.ts";
import { errorDataOf, HOST_EVENT_PROGRESS } from "./rpc.ts";

/** A host handler threw; `name` is the host's error name. */
export class HostCallError extends Error {
  constructor(message: string, name: string | undefined) {
    super(message);
    this.name = name ?? "HostCallError";
  }
}

export class HostCallChannel implements HostCaller {
  /** Calls still waiting, so that a shutdown can fail them all. */
  private readonly pending = new Map<number, (error: Error) => void>();
  private nextId = 1;

  constructor(
    private readonly connection: MessageConnection,
    private readonly methods: ReadonlySet<HostMethod>,
  ) {}

  offers(method: HostMethod): boolean {
    return this.methods.has(method);
  }

  call<M extends HostMethod>(method: M, params: HostMethods[M][0], options: HostCallOptions = {}): Promise<HostMethods[M][1]> {
    if (!this.methods.has(method)) return Promise.reject(new HostCallError(`this engine's host does not answer "${method}"`, undefined));
    const { signal, onEvent } = options;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new DOMException("aborted", "AbortError"));
    const callId = this.nextId++;
    const progressToken = `host-${callId}`;
    const source = new CancellationTokenSource();
    return new Promise<HostMethods[M][1]>((resolve, reject) => {
      let settled = false;
      const progress = this.connection.onProgress(HOST_EVENT_PROGRESS, progressToken, (m) => {
        if (!settled) onEvent?.(m.event as never, m.data as never);
      });
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        this.pending.delete(callId);
        signal?.removeEventListener("abort", onAbort);
        progress.dispose();
        source.dispose();
        finish();
      };
      const onAbort = () => {
        source.cancel();
        settle(() => reject(signal!.reason ?? new DOMException("aborted", "AbortError")));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(callId, (error) => settle(() => reject(error)));
      const request: EngineRequestParams = { params, progressToken };
      Promise.resolve()
        .then(() => this.connection.sendRequest(hostRequestMethod(method), request, source.token))
        .then(
          (result) => settle(() => resolve(result as HostMethods[M][1])),
          (error) => {
            const data = errorDataOf(error);
            settle(() => reject(data != null ? new HostCallError(data.message, data.name) : new HostCallError((error as Error).message, undefined)));
          },
        );
    });
  }

  /** Fails every call still waiting (the engine is shutting down). */
  rejectAll(reason: string): void {
    for (const fail of [...this.pending.values()]) fail(new HostCallError(reason, undefined));
    this.pending.clear();
  }
}
