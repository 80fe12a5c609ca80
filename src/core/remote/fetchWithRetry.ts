// Every HTTP call to a remote model goes through here: a time limit, retries with exponential backoff (or the wait
// the server asks for in Retry-After), and cancellation that also cuts a wait short.
//
// The retries are undici's RetryAgent (the HTTP client inside Node's fetch): it re-sends the request, and this file
// only decides, per failed attempt, whether and when (`retryDecision`). Its pool's headersTimeout is each attempt's
// limit for an answer to start; once it has, the body is watched by an idle timer here (the caller touches it for
// every piece), so a streamed generation that keeps sending may take as long as it needs and one that stalls is given
// up on. Retried: no connection, no answer in time, and the statuses that say "later" (408, 425, 429, 500, 502, 503,
// 504). Not retried: the rest (400, 401, 403, 404, 422, ...), which a retry would only repeat, a cancellation, and a
// Retry-After longer than this client waits (that fails at once, saying so). The last answer that is not retried
// comes back as a response, so its status and the server's own message are what the error shows.
import { Readable } from "node:stream";
import { Agent, RetryAgent, request as undiciRequest, type Dispatcher } from "undici";
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

/** Connection failures worth another attempt (undici's error codes): refused, reset, unreachable, no answer in time. */
const RETRYABLE_ERRORS: ReadonlySet<string> = new Set([
  "ECONNRESET", "ECONNREFUSED", "ENOTFOUND", "ENETDOWN", "ENETUNREACH", "EHOSTDOWN", "EHOSTUNREACH", "EPIPE", "ETIMEDOUT",
  "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT",
]);

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

/** One connection pool per time limit, shared by every call with that limit. */
const pools = new Map<number, Agent>();

function pool(timeoutMs: number): Agent {
  let agent = pools.get(timeoutMs);
  if (agent == null) {
    // bodyTimeout off: the body's idle limit is the timer below, which the reader keeps alive.
    agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: 0 });
    pools.set(timeoutMs, agent);
  }
  return agent;
}

/** Why the last attempt was not retried, when that was the client's choice rather than the server's status. */
interface Stop {
  retryAfterMs?: number;
}

/**
 * Whether to retry after failed attempt number `attempt`, and after how long: the error (a status or a connection
 * failure), the server's Retry-After, the policy. Returns a delay in ms, or a Stop.
 */
export function retryDecision(policy: RetryPolicy, attempt: number, failure: { statusCode?: number; code?: string; retryAfter?: string | null }): number | Stop {
  if (attempt > policy.retries) return {};
  if (failure.statusCode != null) {
    if (!RETRYABLE_STATUSES.has(failure.statusCode)) return {};
  } else if (failure.code == null || !RETRYABLE_ERRORS.has(failure.code)) {
    return {};
  }
  const retryAfterMs = parseRetryAfter(failure.retryAfter ?? null);
  if (retryAfterMs != null && retryAfterMs > (policy.maxRetryAfterMs ?? 60_000)) return { retryAfterMs };
  return retryAfterMs ?? backoff(policy, attempt);
}

/**
 * Sends `init` to `url` until an attempt answers with a 2xx status, the answer is final (not retryable), the retries
 * are used up, or `signal` aborts (which rejects with the signal's reason, at once, also during a wait).
 */
export async function fetchWithRetry(url: string, init: RequestInit, policy: RetryPolicy, call: CallDescription, signal?: AbortSignal): Promise<OpenResponse> {
  const method = init.method ?? "GET";
  const what = `${method} ${url}`;
  signal?.throwIfAborted();
  let attempts = 1;
  let stopped: Stop | null = null;
  let answered = false;
  let waiting: { timer: NodeJS.Timeout; resume: (error: Error | null) => void } | null = null;
  const onAbort = () => {
    // A cancelled wait ends now: no further attempt is sent.
    if (waiting == null) return;
    clearTimeout(waiting.timer);
    waiting.resume(signal!.reason as Error);
    waiting = null;
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const dispatcher: Dispatcher = new RetryAgent(pool(policy.timeoutMs), {
    // The last answer comes back as a response (status and body), not as undici's RequestRetryError.
    throwOnError: false,
    retry: (error, _context, resume) => {
      const failure = error as Error & { statusCode?: number; code?: string; headers?: Record<string, string | string[] | undefined> };
      const header = failure.headers?.["retry-after"];
      // Once the answer has begun, a broken body is the reader's error: undici would re-send with a Range header,
      // which means nothing to a generation.
      const decision = signal?.aborted || answered ? {} : retryDecision(policy, attempts, { statusCode: failure.statusCode, code: failure.code, retryAfter: Array.isArray(header) ? header[0] : header });
      if (typeof decision !== "number") {
        stopped = decision;
        return resume(error);
      }
      waiting = {
        resume,
        timer: setTimeout(() => {
          waiting = null;
          attempts++;
          resume(null);
        }, decision),
      };
    },
  });
  // Aborted by the caller, or by the body's idle timer (started once the answer has begun).
  const timer = idleTimer(policy.timeoutMs, signal);
  let response: Response;
  try {
    // undici's request (not its fetch, whose body is a stream that cannot be sent twice), seen as a fetch Response.
    const answer = await undiciRequest(url, {
      method: method as Dispatcher.HttpMethod,
      headers: init.headers as Record<string, string>,
      body: init.body as string | undefined,
      signal: timer.signal,
      dispatcher,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      for (const v of Array.isArray(value) ? value : value == null ? [] : [value]) headers.append(name, v);
    }
    const empty = answer.statusCode === 204 || answer.statusCode === 304;
    response = new Response(empty ? null : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>), {
      status: answer.statusCode,
      statusText: answer.statusText,
      headers,
    });
  } catch (error) {
    timer.done();
    if (signal?.aborted) throw signal.reason;
    // undici's request rejects with its own error (a code such as UND_ERR_HEADERS_TIMEOUT or ECONNREFUSED).
    const timedOut = (error as { code?: string }).code === "UND_ERR_HEADERS_TIMEOUT";
    const reason = timedOut ? `no answer within ${policy.timeoutMs} ms` : `cannot connect (${networkCause(error)})`;
    throw new RemoteCallError(redact(`candidate "${call.who}": ${what}: ${reason}${attemptsText(attempts)}`, call.secret), call.who, timedOut ? "timeout" : "network", undefined, attempts);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  answered = true;
  timer.touch();
  if (response.ok) return { response, attempts, touch: timer.touch, done: timer.done, signal: timer.signal, timedOut: timer.timedOut };
  const body = await readErrorBody(response);
  timer.done();
  const statusText = `HTTP ${response.status}${response.statusText ? ` (${response.statusText})` : ""}`;
  const retryAfterMs = (stopped as Stop | null)?.retryAfterMs;
  const maxRetryAfter = policy.maxRetryAfterMs ?? 60_000;
  const extra = retryAfterMs != null ? `; it asks to retry after ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${maxRetryAfter / 1000} s this client waits` : "";
  throw new RemoteCallError(
    redact(`candidate "${call.who}": ${what}: ${statusText}${attemptsText(attempts)}${extra}${body ? `: ${body}` : ""}`, call.secret),
    call.who,
    "http",
    response.status,
    attempts,
  );
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
  const own = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return own.code ?? own.cause?.code ?? own.cause?.message ?? own.message ?? String(error);
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
  // Not started here: the first touch() starts it (when the answer has begun).
  return { signal: controller.signal, touch, done, timedOut: () => timedOut };
}
