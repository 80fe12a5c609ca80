// The engine's side of host calls (host/types.ts): a call goes to the parent as `hostCall`, its streamed pieces and
// its answer come back as `hostEvent` / `hostResult` / `hostError`. Cancelling sends `hostCancel` and rejects at once
// with the signal's reason: the episode stops now, and whatever the host still answers for that call is dropped.
import type { HostCallOptions, HostCaller, HostEvents, HostMethod, HostMethods } from "../host/types.ts";
import type { ErrorData, FromEngine, ToEngine } from "./protocol.ts";

/** A host handler threw; `name` is the host's error name. */
export class HostCallError extends Error {
  constructor(message: string, name: string | undefined) {
    super(message);
    this.name = name ?? "HostCallError";
  }
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onEvent?: (event: keyof HostEvents, data: unknown) => void;
  cleanup: () => void;
}

type FromHost = Extract<ToEngine, { kind: "hostResult" | "hostEvent" | "hostError" }>;

export class HostCallChannel implements HostCaller {
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;

  constructor(
    private readonly send: (message: FromEngine) => void,
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
    return new Promise<HostMethods[M][1]>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(callId);
        this.send({ kind: "hostCancel", callId });
        reject(signal!.reason ?? new DOMException("aborted", "AbortError"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(callId, {
        resolve: resolve as (value: unknown) => void,
        reject,
        onEvent: onEvent as PendingCall["onEvent"],
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      });
      this.send({ kind: "hostCall", callId, method, params });
    });
  }

  /** A message from the host about one of the calls. */
  receive(message: FromHost): void {
    const call = this.pending.get(message.callId);
    if (call == null) return; // cancelled, or answered twice
    if (message.kind === "hostEvent") {
      call.onEvent?.(message.event, message.data);
      return;
    }
    this.pending.delete(message.callId);
    call.cleanup();
    if (message.kind === "hostResult") call.resolve(message.result);
    else call.reject(hostError(message.error));
  }

  /** Fails every call still waiting (the engine is shutting down). */
  rejectAll(reason: string): void {
    for (const call of this.pending.values()) {
      call.cleanup();
      call.reject(new HostCallError(reason, undefined));
    }
    this.pending.clear();
  }
}

function hostError(error: ErrorData): Error {
  return new HostCallError(error.message, error.name);
}
