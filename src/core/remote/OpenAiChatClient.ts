// A client for an OpenAI-compatible API (POST {baseUrl}/chat/completions, GET {baseUrl}/models, and any JSON POST
// such as vLLM's adapter calls), with the timeouts, retries and cancellation of fetchWithRetry. Streaming replies
// are read as server-sent events (eventsource-parser) with `stream_options.include_usage`, so that a streamed reply
// still reports its token usage; a reply without usage is an error, because cost is computed from it.
import { createParser } from "eventsource-parser";
import { fetchWithRetry, redact, type RetryPolicy } from "./fetchWithRetry.ts";
import { RemoteCallError } from "./RemoteCallError.ts";
import type { ChatCompletionRequest, ChatResult, Usage } from "./types.ts";

export interface OpenAiClientOptions extends RetryPolicy {
  /** Up to and including the version path, e.g. `http://127.0.0.1:8080/v1`; a trailing slash is ignored. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Defaults to none (no header). */
  apiKey?: string;
  /** Names the caller in errors: the candidate id. */
  who: string;
}

export interface ChatCallHooks {
  signal?: AbortSignal;
  /** Streams the reply: each piece of text as it arrives (the request is sent with `stream: true`). */
  onText?: (text: string) => void;
}

export class OpenAiChatClient {
  private readonly baseUrl: string;

  constructor(private readonly options: OpenAiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  /** One chat completion; streamed when `hooks.onText` is given. Cancelling returns what arrived, with `aborted` set. */
  async chat(request: ChatCompletionRequest, hooks: ChatCallHooks = {}): Promise<ChatResult> {
    const stream = hooks.onText != null;
    const body: ChatCompletionRequest = stream ? { ...request, stream: true, stream_options: { include_usage: true } } : { ...request, stream: false };
    const url = `${this.baseUrl}/chat/completions`;
    let open;
    try {
      open = await fetchWithRetry(url, this.init("POST", body), this.options, this.call(), hooks.signal);
    } catch (error) {
      if (hooks.signal?.aborted) return { text: "", usage: null, finishReason: null, pieces: 0, aborted: true, attempts: 0 };
      throw error;
    }
    const fail = (message: string, failure: "protocol" | "timeout" | "network" = "protocol") =>
      new RemoteCallError(redact(`candidate "${this.options.who}": POST ${url}: ${message}`, this.options.apiKey), this.options.who, failure, open.response.status, open.attempts);
    try {
      if (!stream) {
        const text = await open.response.text();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw fail(`the answer is not JSON: ${text.slice(0, 200)}`);
        }
        const choice = (parsed as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] }).choices?.[0];
        const content = choice?.message?.content;
        if (choice == null || (content != null && typeof content !== "string")) throw fail(`the answer is not a chat completion (no choices[0].message.content): ${text.slice(0, 200)}`);
        const usage = readUsage((parsed as { usage?: unknown }).usage);
        if (usage == null) throw fail("the answer has no token usage (usage.prompt_tokens, usage.completion_tokens); cost is computed from it");
        return { text: (content as string | null) ?? "", usage, finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null, pieces: 1, aborted: false, attempts: open.attempts };
      }
      return await this.readStream(open, hooks, fail);
    } catch (error) {
      if (hooks.signal?.aborted && !(error instanceof RemoteCallError)) return { text: "", usage: null, finishReason: null, pieces: 0, aborted: true, attempts: open.attempts };
      if (open.timedOut() && !(error instanceof RemoteCallError)) throw fail(`the stream stalled: nothing arrived for ${this.options.timeoutMs} ms`, "timeout");
      if (error instanceof RemoteCallError) throw error;
      throw fail(`the answer broke off: ${(error as Error).message}`, "network");
    } finally {
      open.done();
    }
  }

  /** `GET {baseUrl}/models`: the model ids the server serves. */
  async models(signal?: AbortSignal): Promise<string[]> {
    const url = `${this.baseUrl}/models`;
    const open = await fetchWithRetry(url, this.init("GET"), this.options, this.call(), signal);
    try {
      const parsed = (await open.response.json()) as { data?: { id?: unknown }[] };
      if (!Array.isArray(parsed.data)) throw new Error("no data array");
      return parsed.data.map((m) => String(m.id));
    } catch (error) {
      throw new RemoteCallError(`candidate "${this.options.who}": GET ${url}: not a model list (${(error as Error).message})`, this.options.who, "protocol", open.response.status, open.attempts);
    } finally {
      open.done();
    }
  }

  /** A JSON POST to `{baseUrl}{path}` (vLLM's adapter calls); resolves with the answer's text. */
  async postJson(path: string, body: unknown, signal?: AbortSignal): Promise<string> {
    const open = await fetchWithRetry(`${this.baseUrl}${path}`, this.init("POST", body), this.options, this.call(), signal);
    try {
      return await open.response.text();
    } finally {
      open.done();
    }
  }

  private call() {
    return { who: this.options.who, secret: this.options.apiKey };
  }

  private init(method: "GET" | "POST", body?: unknown): RequestInit {
    const headers: Record<string, string> = { accept: body != null && (body as ChatCompletionRequest).stream ? "text/event-stream" : "application/json" };
    if (body != null) headers["content-type"] = "application/json";
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return { method, headers, body: body == null ? undefined : JSON.stringify(body) };
  }

  private async readStream(open: Awaited<ReturnType<typeof fetchWithRetry>>, hooks: ChatCallHooks, fail: (message: string) => RemoteCallError): Promise<ChatResult> {
    let text = "";
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    let pieces = 0;
    let finished = false;
    let problem: RemoteCallError | null = null;
    const parser = createParser({
      onEvent: (event) => {
        if (problem != null || finished) return;
        if (event.data === "[DONE]") {
          finished = true;
          return;
        }
        let chunk: { choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[]; usage?: unknown; error?: { message?: unknown } };
        try {
          chunk = JSON.parse(event.data);
        } catch {
          problem = fail(`a stream event is not JSON: ${event.data.slice(0, 200)}`);
          return;
        }
        if (chunk.error != null) {
          problem = fail(`the server reported an error in the stream: ${String(chunk.error.message ?? JSON.stringify(chunk.error))}`);
          return;
        }
        const choice = chunk.choices?.[0];
        const piece = choice?.delta?.content;
        if (typeof piece === "string" && piece.length > 0) {
          text += piece;
          pieces++;
          hooks.onText?.(piece);
        }
        if (typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
        const u = readUsage(chunk.usage);
        if (u != null) usage = u;
      },
    });
    const reader = open.response.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        open.touch();
        parser.feed(decoder.decode(value, { stream: true }));
        if (problem != null) throw problem;
        if (finished) break;
      }
    } catch (error) {
      if (hooks.signal?.aborted) return { text, usage, finishReason, pieces, aborted: true, attempts: open.attempts };
      throw error;
    } finally {
      reader.cancel().catch(() => undefined);
    }
    if (problem != null) throw problem;
    if (!finished && finishReason == null) throw fail("the stream ended without a finish reason or [DONE]");
    if (usage == null) throw fail("the stream reported no token usage (stream_options.include_usage); cost is computed from it");
    return { text, usage, finishReason, pieces, aborted: false, attempts: open.attempts };
  }
}

function readUsage(raw: unknown): Usage | null {
  const u = raw as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  if (u == null || !Number.isFinite(u.prompt_tokens) || !Number.isFinite(u.completion_tokens)) return null;
  return { prompt_tokens: Number(u.prompt_tokens), completion_tokens: Number(u.completion_tokens) };
}
