/**
 * The calls a runtime object (the runtime, a loaded model) has under way, and the switch that refuses new ones: its
 * `dispose` first `close`s (new calls are refused with the given reason, running ones see `signal` abort), then waits
 * for `idle` before it frees what those calls use. Freeing a llama.cpp context under a decode in flight made the
 * decode reject after its caller had gone (an 'Object is disposed' unhandled rejection).
 */
export class CallsUnderWay {
  private readonly closing = new AbortController();
  private count = 0;
  private onIdle: (() => void) | null = null;

  /** Aborted once `close` was called; its reason is the error new calls get. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /** Runs `fn` as a call under way; refused (with `close`'s reason) once closed. */
  async track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing.signal.aborted) throw this.closing.signal.reason;
    this.count++;
    try {
      return await fn();
    } finally {
      if (--this.count === 0) this.onIdle?.();
    }
  }

  /** Refuses new calls from now on, with `reason`; a second call keeps the first reason. */
  close(reason: Error): void {
    if (!this.closing.signal.aborted) this.closing.abort(reason);
  }

  /** Resolves when no call is under way. */
  async idle(): Promise<void> {
    if (this.count > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
  }
}
