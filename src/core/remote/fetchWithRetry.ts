// Every HTTP call to a remote model goes through here: a time limit, retries with exponential backoff (or the wait
// the server asks for in Retry-After), and cancellation that also cuts a wait short.
//
// The time limit is an idle limit: an attempt fails when the server sends nothing (no headers, then no piece of the
// body) for `timeoutMs`. A streamed generation that keeps sending may take as long as it needs; a server that stalls
// is given up on. Retried: no connection, a timeout, and the statuses that say "later" (408, 425, 429, 500, 502, 503,
// 504). Not retried: the rest (400, 401, 403, 404, 422, ...), which a retry would only repeat, and a cancellation.
import { RemoteCallError } from "./RemoteCallError.ts";

export interface RetryPolicy {
  /** Longest wait for any progress (headers, then each piece of the body), in ms. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** The first retry's delay, in ms; it doubles per retry and gets 0-50 % jitter off. */
  retryDelayMs: number;
  /** Cap of a computed backoff delay, in ms. Defaults to 30,000. */
  maxRetryDelayMs?: number;
  /** The longest Retry-After this client waits; a server asking for more fails the call at once. Defaults to 60,000. */
  maxRetryAfterMs?: number;
}

/** Statuses worth another attempt. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/** What a call is, for its error messages. */
export interface CallDescription {
  /** The candidate id (or the server's name). */
  who: string;
  /** A secret that must never appear in a message (the API key), replaced by `***`. */
  secret?: string;
}

/** A response whose body is still to be read, and the attempt's idle timer to keep alive while reading it. */
export interface OpenResponse {
  response: Response;
  attempts: number;
  /** Restarts the idle timer: call it on every piece of the body. */
  touch(): void;
  /** Stops the idle timer (the body was read, or given up). */
  done(): void;
  /** Aborts when the attempt timed out or the caller cancelled; pass it on to whatever reads the body. */
  signal: AbortSignal;
  /** Whether `signal` fired because of the idle limit (not the caller). */
  timedOut(): boolean;
}

/**
 * Sends `init` to `url` until an attempt answers with a 2xx status, the answer is final (not retryable), the retries
 * are used up, or `signal` aborts (which rejects with the signal's reason, at once, also during a wait).
 */
export async function fetchWithRetry(url: string, init: RequestInit, policy: RetryPolicy, call: CallDescription, signal?: AbortSignal): Promise<OpenResponse> {
  const method = init.method ?? "GET";
  const what = `${method} ${url}`;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const timer = idleTimer(policy.timeoutMs, signal);
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal: timer.signal });
    } catch (error) {
      timer.done();
      if (signal?.aborted) throw signal.reason;
      const failure = timer.timedOut() ? "timeout" : "network";
      const reason = timer.timedOut() ? `no answer within ${policy.timeoutMs} ms` : `cannot connect (${networkCause(error)})`;
      if (attempt <= policy.retries) {
        await sleep(backoff(policy, attempt), signal);
        continue;
      }
      throw new RemoteCallError(redact(`candidate "${call.who}": ${what}: ${reason}${attemptsText(attempt)}`, call.secret), call.who, failure, undefined, attempt);
    }
    timer.touch();
    if (response.ok) return { response, attempts: attempt, touch: timer.touch, done: timer.done, signal: timer.signal, timedOut: timer.timedOut };

    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    const body = await readErrorBody(response);
    timer.done();
    const statusText = `HTTP ${response.status}${response.statusText ? ` (${response.statusText})` : ""}`;
    const fail = (extra = "") =>
      new RemoteCallError(redact(`candidate "${call.who}": ${what}: ${statusText}${attemptsText(attempt)}${extra}${body ? `: ${body}` : ""}`, call.secret), call.who, "http", response.status, attempt);
    if (!RETRYABLE_STATUSES.has(response.status) || attempt > policy.retries) throw fail();
    const maxRetryAfter = policy.maxRetryAfterMs ?? 60_000;
    if (retryAfterMs != null && retryAfterMs > maxRetryAfter)
      throw fail(`; it asks to retry after ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${maxRetryAfter / 1000} s this client waits`);
    await sleep(retryAfterMs ?? backoff(policy, attempt), signal);
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | null {
  if (value == null || value.trim() === "") return null;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/** The delay before retry number `attempt` (1-based): retryDelayMs x 2^(attempt-1), capped, minus up to half as jitter. */
export function backoff(policy: RetryPolicy, attempt: number): number {
  const full = Math.min(policy.maxRetryDelayMs ?? 30_000, policy.retryDelayMs * 2 ** (attempt - 1));
  return full * (1 - 0.5 * Math.random());
}

/** Replaces every occurrence of `secret` with `***`. */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("***") : text;
}

function attemptsText(attempt: number): string {
  return attempt > 1 ? ` after ${attempt} attempts` : "";
}

/** The server's own words, short: the `error.message` of an OpenAI-style error object, else the text. */
async function readErrorBody(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const candidate = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message ?? parsed.detail);
    if (typeof candidate === "string") message = candidate;
  } catch {
    // not JSON: the text as it is
  }
  message = message.replace(/\s+/g, " ").trim();
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

function idleTimer(ms: number, outer?: AbortSignal) {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const onOuter = () => controller.abort(outer!.reason);
  outer?.addEventListener("abort", onOuter, { once: true });
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no progress within ${ms} ms`));
    }, ms);
  };
  const done = () => {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuter);
  };
  touch();
  return { signal: controller.signal, touch, done, timedOut: () => timedOut };
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
