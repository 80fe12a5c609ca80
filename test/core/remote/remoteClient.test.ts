// The remote-model client (src/core/remote) against a real peer: `haps serve` on a loopback port, reached directly or
// through a proxy that injects what remote APIs do (error statuses, Retry-After, silence, a stream cut off).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { OpenAiChatClient, type OpenAiClientOptions } from "../../../src/core/remote/OpenAiChatClient.ts";
import { RemoteCallError } from "../../../src/core/remote/RemoteCallError.ts";
import { backoff, parseRetryAfter, retryDecision } from "../../../src/core/remote/fetchWithRetry.ts";
import type { ChatCompletionRequest } from "../../../src/core/remote/types.ts";
import { startServe, type ServeFixture } from "../serve/serveFixture.ts";
import { startFaultProxy, type FaultProxy } from "./faultProxy.ts";

const TOKEN = "sk-test-0123456789abcdef";

describe("OpenAI-compatible client against haps serve", () => {
  let serve: ServeFixture;
  let proxy: FaultProxy;
  let model: string;
  before(async () => {
    serve = await startServe({ token: TOKEN });
    model = serve.config.candidates[0].id;
    proxy = await startFaultProxy(serve.url);
  });
  after(async () => {
    await proxy?.close();
    await serve?.close();
  });

  const client = (options: Partial<OpenAiClientOptions> = {}) =>
    new OpenAiChatClient({ baseUrl: proxy.url, apiKey: TOKEN, who: "remote-small", timeoutMs: 30_000, retries: 3, retryDelayMs: 20, ...options });
  const request = (extra: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest => ({
    model,
    messages: [{ role: "system", content: "You answer briefly." }, { role: "user", content: "Name a colour." }],
    max_completion_tokens: 24,
    temperature: 0,
    ...extra,
  });
  /** Every request from now on gets `actions[i]`, then forwarding; returns how many requests it saw. */
  const scriptNext = (...actions: Parameters<FaultProxy["script"]> extends never ? never : ReturnType<FaultProxy["script"]>[]) => {
    const start = proxy.seen.length;
    proxy.script = (n) => actions[n - start] ?? { kind: "forward" };
    return () => proxy.seen.length - start;
  };

  test("a whole answer and a streamed one: the same greedy text, the server's token usage", async () => {
    scriptNext();
    const whole = await client().chat(request());
    assert.ok(whole.text.length > 0);
    assert.ok(whole.usage!.prompt_tokens > 5 && whole.usage!.completion_tokens > 0 && whole.usage!.completion_tokens <= 24);
    assert.equal(whole.attempts, 1);
    const pieces: string[] = [];
    const streamed = await client().chat(request(), { onText: (t) => pieces.push(t) });
    assert.equal(streamed.text, whole.text);
    assert.equal(pieces.join(""), streamed.text);
    assert.ok(pieces.length > 1, "the answer arrived in pieces");
    assert.deepEqual(streamed.usage, whole.usage);
    const models = await client().models();
    assert.deepEqual(models.slice(0, 3), ["haps", ...serve.config.candidates.map((c) => c.id)]);
  });

  test("503 twice, then an answer: retried with backoff, three attempts", async () => {
    const count = scriptNext({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    const result = await client().chat(request());
    assert.equal(result.attempts, 3);
    assert.equal(count(), 3);
    assert.ok(result.text.length > 0);
  });

  test("429 with Retry-After: 1 waits that second, then succeeds", async () => {
    const count = scriptNext({ kind: "status", status: 429, headers: { "retry-after": "1" } });
    const started = performance.now();
    const result = await client({ retryDelayMs: 0 }).chat(request());
    const waited = proxy.seen.at(-1)!.at - proxy.seen.at(-2)!.at;
    assert.equal(count(), 2);
    assert.equal(result.attempts, 2);
    assert.ok(waited >= 950, `the retry came ${waited.toFixed(0)} ms after the 429`);
    assert.ok(performance.now() - started >= 950);
  });

  test("500 on every attempt: an error naming the candidate, the request and the status, after retries + 1 attempts", async () => {
    const count = scriptNext(...Array.from({ length: 5 }, () => ({ kind: "status" as const, status: 500, message: "model crashed" })));
    await assert.rejects(client({ retries: 2 }).chat(request()), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.equal(error.candidate, "remote-small");
      assert.equal(error.status, 500);
      assert.equal(error.failure, "http");
      assert.equal(error.attempts, 3);
      assert.match(error.message, /candidate "remote-small": POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: HTTP 500 .*after 3 attempts: model crashed/);
      return true;
    });
    assert.equal(count(), 3);
  });

  test("400 from the real server is final: one attempt, and the server's own message", async () => {
    const count = scriptNext();
    await assert.rejects(client().chat(request({ max_completion_tokens: 999_999 })), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.equal(error.status, 400);
      assert.equal(error.attempts, 1);
      assert.match(error.message, /HTTP 400 .*max_completion_tokens/);
      return true;
    });
    assert.equal(count(), 1);
  });

  test("a server that says nothing: each attempt times out, then a timeout error", async () => {
    const count = scriptNext({ kind: "stall" }, { kind: "stall" });
    const started = performance.now();
    await assert.rejects(client({ timeoutMs: 300, retries: 1 }).chat(request()), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.equal(error.failure, "timeout");
      assert.equal(error.status, undefined);
      assert.match(error.message, /no answer within 300 ms after 2 attempts/);
      return true;
    });
    assert.equal(count(), 2);
    assert.ok(performance.now() - started < 5_000);
  });

  test("a Retry-After longer than this client waits fails at once", async () => {
    const count = scriptNext({ kind: "status", status: 429, headers: { "retry-after": "3600" } });
    await assert.rejects(client().chat(request()), /HTTP 429 .*asks to retry after 3600 s, longer than the 60 s this client waits/);
    assert.equal(count(), 1);
  });

  test("cancelling during a Retry-After wait ends the call at once", async () => {
    scriptNext({ kind: "status", status: 429, headers: { "retry-after": "30" } });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("user cancelled")), 300);
    const result = await client().chat(request(), { signal: controller.signal });
    assert.equal(result.aborted, true);
    assert.equal(result.text, "");
    assert.ok(performance.now() - started < 3_000, "the 30 s wait was cut short");
  });

  test("a stream cut off half-way is an error, not a short answer", async () => {
    scriptNext({ kind: "cut", afterBytes: 600 });
    await assert.rejects(client().chat(request(), { onText: () => {} }), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.equal(error.failure, "network");
      assert.match(error.message, /broke off|ended without/);
      return true;
    });
  });

  test("cancelling a stream returns what arrived, and the server stops generating", async () => {
    scriptNext();
    // Earlier tests' cancelled requests end in the background: wait for them, so that the next log line is this one's.
    while (serve.server.activeCompletions > 0) await new Promise((r) => setTimeout(r, 20));
    const logFrom = serve.log.length;
    const controller = new AbortController();
    let pieces = 0;
    const result = await client().chat(request({ max_completion_tokens: 2_000, messages: [{ role: "user", content: "Tell a very long story." }] }), {
      signal: controller.signal,
      onText: () => {
        if (++pieces === 3) controller.abort(new Error("enough"));
      },
    });
    assert.equal(result.aborted, true);
    assert.ok(result.pieces >= 3 && result.text.length > 0);
    // The server logs each completion when its generation has stopped, with the tokens it generated: far fewer than
    // the 2,000 asked for (random-weight models never stop early: they run to the limit when not cancelled).
    const line = await waitForLog(serve, logFrom, /cancelled after \d+ \+ (\d+) tokens/);
    const generated = Number(/cancelled after \d+ \+ (\d+) tokens/.exec(line)![1]);
    assert.ok(generated >= 3 && generated < 500, line);
    assert.equal(serve.server.activeCompletions, 0);
  });

  test("the API key: accepted when right, a 401 when wrong, and never in an error message", async () => {
    scriptNext();
    await assert.rejects(client({ apiKey: "sk-wrong-key-000" }).chat(request()), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.equal(error.status, 401);
      assert.equal(error.attempts, 1);
      assert.match(error.message, /wrong bearer token/);
      return true;
    });
    scriptNext({ kind: "echo-auth" });
    await assert.rejects(client().chat(request()), (error: Error) => {
      assert.ok(!error.message.includes(TOKEN), error.message);
      assert.match(error.message, /Incorrect API key provided: Bearer \*\*\*/);
      return true;
    });
    assert.equal(proxy.seen.at(-1)!.authorization, `Bearer ${TOKEN}`);
  });
});

async function waitForLog(serve: ServeFixture, from: number, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = serve.log.slice(from).find((l) => pattern.test(l));
    if (line != null) return line;
    if (Date.now() > deadline) throw new Error(`no log line matches ${pattern}:\n${serve.log.join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("Retry-After: delta seconds and HTTP dates; backoff doubles and stays within its cap", () => {
  assert.equal(parseRetryAfter("2"), 2000);
  assert.equal(parseRetryAfter("0.5"), 500);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter("soon"), null);
  const inTen = parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())!;
  assert.ok(inTen > 8_000 && inTen <= 10_000, String(inTen));
  const policy = { timeoutMs: 1, retries: 9, retryDelayMs: 100, maxRetryDelayMs: 1_000 };
  for (let attempt = 1; attempt <= 6; attempt++) {
    const full = Math.min(1_000, 100 * 2 ** (attempt - 1));
    for (let i = 0; i < 20; i++) {
      const d = backoff(policy, attempt);
      assert.ok(d >= full / 2 && d <= full, `attempt ${attempt}: ${d}`);
    }
  }
});

test("what undici's RetryAgent is told per failed attempt: retryable statuses and connection errors, the Retry-After cap, the count", () => {
  const policy = { timeoutMs: 1000, retries: 2, retryDelayMs: 100, maxRetryAfterMs: 5_000 };
  const delay = (d: number | object) => (typeof d === "number" ? d : null);
  for (const statusCode of [408, 425, 429, 500, 502, 503, 504]) assert.ok(delay(retryDecision(policy, 1, { statusCode }))! >= 50);
  for (const statusCode of [400, 401, 403, 404, 422]) assert.deepEqual(retryDecision(policy, 1, { statusCode }), {});
  for (const code of ["ECONNREFUSED", "ECONNRESET", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_SOCKET"]) assert.equal(typeof retryDecision(policy, 1, { code }), "number");
  assert.deepEqual(retryDecision(policy, 1, { code: "UND_ERR_BODY_TIMEOUT" }), {}, "a body that broke off is the reader's error");
  assert.deepEqual(retryDecision(policy, 1, { code: "ERR_SOMETHING_ELSE" }), {});
  assert.equal(retryDecision(policy, 1, { statusCode: 429, retryAfter: "2" }), 2000);
  assert.deepEqual(retryDecision(policy, 1, { statusCode: 429, retryAfter: "6" }), { retryAfterMs: 6000 }, "longer than the client waits: stop, saying so");
  assert.equal(typeof retryDecision(policy, 2, { statusCode: 503 }), "number");
  assert.deepEqual(retryDecision(policy, 3, { statusCode: 503 }), {}, "retries used up");
});
