// `haps serve` over HTTP on a loopback port: the routed assistant with and without streaming, a candidate model with a
// JSON schema, the token, request validation, 429 when busy, cancellation when the client goes away, concurrent
// requests, and the run-time adapter routes' refusals.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writePeftAdapter } from "../../../src/core/adapters/peftAdapter.ts";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";
import { HapsServer } from "../../../src/serve/HapsServer.ts";
import { tempDir } from "../runtime/helpers.ts";
import { postJson, sseEvents, startServe, type ServeFixture } from "./serveFixture.ts";

const TOKEN = "serve-test-token";
const auth = { authorization: `Bearer ${TOKEN}` };

describe("haps serve", () => {
  let serve: ServeFixture;
  let small: string;
  let loraDir: string;
  before(async () => {
    loraDir = tempDir("serve-lora");
    serve = await startServe({ token: TOKEN, loraDir });
    small = serve.config.candidates[0].id;
  });
  after(async () => await serve?.close());

  test("GET /v1/models: the routed model and the local candidates; /health needs no token, the rest does", async () => {
    assert.deepEqual(await (await fetch(serve.url.replace(/\/v1$/, "/health"))).json(), { status: "ok" });
    const refused = await fetch(`${serve.url}/models`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("www-authenticate"), "Bearer");
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /missing bearer token/);
    assert.equal((await fetch(`${serve.url}/models`, { headers: { authorization: "Bearer nope" } })).status, 401);
    const models = (await (await fetch(`${serve.url}/models`, { headers: auth })).json()) as { object: string; data: { id: string; object: string }[] };
    assert.equal(models.object, "list");
    assert.deepEqual(models.data.map((m) => m.id), ["haps", ...serve.config.candidates.map((c) => c.id)]);
    assert.ok(models.data.every((m) => m.object === "model"));
  });

  test("a routed answer: the content, the route (assignment, adapters) and the usage summed over the models", async () => {
    const { status, body } = await postJson(serve.url, "/chat/completions", { model: "haps", messages: [{ role: "user", content: "Which is a number?" }], haps: { choices: ["seven", "red", "dog"] } }, auth);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.object, "chat.completion");
    assert.equal(body.model, "haps");
    const [choice] = body.choices;
    assert.equal(choice.message.role, "assistant");
    assert.match(choice.message.content, /^[ABC]?$/, "a multiple-choice answer is a letter (or empty)");
    const route = body.haps.route;
    assert.equal(route.task, "multiple-choice");
    for (const agent of ["student", "teacher"]) assert.ok(serve.config.candidates.some((c) => c.id === route.assignment.choice[agent]));
    assert.equal(route.adapters.length, 2, "the embedded candidates are open: an adapter per agent");
    assert.equal(route.adapters[0].rank, serve.config.generator.rank);
    const sums = Object.values(route.tokens as Record<string, { input: number; output: number }>).reduce((s, t) => ({ p: s.p + t.input, c: s.c + t.output }), { p: 0, c: 0 });
    assert.deepEqual(body.usage, { prompt_tokens: sums.p, completion_tokens: sums.c, total_tokens: sums.p + sums.c });
    assert.ok(sums.p > 0 && sums.c > 0);
  });

  test("a routed answer streamed: the assignment first, the agents' text as reasoning, the answer, then usage and the route", async () => {
    const response = await postJson(serve.url, "/chat/completions", {
      model: "haps",
      stream: true,
      messages: [{ role: "system", content: "Paris is the capital of France. The Seine flows through Paris." }, { role: "user", content: "Which river flows through Paris?" }],
    }, auth);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
    const events = sseEvents(response.text);
    assert.equal(events.at(-1), "[DONE]");
    const chunks = events.slice(0, -1);
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id));
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    const assignmentAt = chunks.findIndex((c) => c.haps?.assignment != null);
    const firstReasoning = chunks.findIndex((c) => c.choices[0]?.delta?.reasoning_content);
    assert.ok(assignmentAt > 0 && firstReasoning > assignmentAt, "the assignment comes before the agents speak");
    assert.match(chunks[firstReasoning].choices[0].delta.reasoning_content, /^\[student\] /);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason != null);
    assert.equal(finish.choices[0].finish_reason, "stop");
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage.total_tokens > 0);
    assert.equal(last.haps.route.task, "search-qa");
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
  });

  test("a candidate model with a JSON schema: the content follows the schema; usage is that model's", async () => {
    const schema = { type: "object", properties: { colour: { enum: ["red", "green"] }, sure: { type: "boolean" } }, required: ["colour", "sure"], additionalProperties: false };
    const { status, body } = await postJson(serve.url, "/chat/completions", {
      model: small,
      messages: [{ role: "user", content: "Pick a colour." }],
      max_tokens: 40,
      response_format: { type: "json_schema", json_schema: { name: "pick", schema, strict: true } },
    }, auth);
    assert.equal(status, 200, JSON.stringify(body));
    const value = JSON.parse(body.choices[0].message.content);
    assert.ok(["red", "green"].includes(value.colour) && typeof value.sure === "boolean", body.choices[0].message.content);
    assert.ok(body.usage.prompt_tokens > 0 && body.usage.completion_tokens > 0 && body.usage.completion_tokens <= 40);
  });

  test("bad requests are 400s naming the field; unknown routes and models 404, wrong methods 405, huge bodies 413", async () => {
    const bad = async (body: unknown, param: RegExp | null, message: RegExp, status = 400) => {
      const r = await postJson(serve.url, "/chat/completions", body, auth);
      assert.equal(r.status, status, r.text);
      assert.match(r.body.error.message, message);
      if (param) assert.match(r.body.error.param, param);
    };
    await bad("{not json", null, /not valid JSON/);
    await bad({ messages: [{ role: "user", content: "hi" }] }, /^model$/, /model/);
    await bad({ model: "haps", messages: [] }, /^messages$/, /at least one message/);
    await bad({ model: "haps", messages: [{ role: "tool", content: "x" }] }, /^messages\[0\]\.role$/, /tool messages are not supported/);
    await bad({ model: "haps", messages: [{ role: "user", content: 3 }] }, /^messages\[0\]\.content$/, /expected a string/);
    await bad({ model: "haps", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "x" }] }, /^messages\[1\]\.role$/, /last message must be the user's question/);
    await bad({ model: "haps", messages: [{ role: "user", content: "  " }] }, /^messages\[0\]\.content$/, /question is empty/);
    await bad({ model: "haps", n: 2, messages: [{ role: "user", content: "hi" }] }, /^n$/, /one choice/);
    await bad({ model: small, max_tokens: 100_000, messages: [{ role: "user", content: "hi" }] }, /^max_tokens$/, /max_tokens/);
    await bad({ model: "haps", messages: [{ role: "user", content: "hi" }], haps: { choices: ["only one"] } }, null, /haps\.choices: a multiple-choice question needs 2 to 4 options/);
    await bad({ model: "haps", messages: [{ role: "user", content: "word ".repeat(2_000) }] }, null, /messages\[0\]\.content: .* tokens .* a question may take at most/);
    await bad({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }, /^model$/, /"gpt-9" is not served here/, 404);
    assert.equal((await fetch(`${serve.url}/nothing`, { headers: auth })).status, 404);
    const wrong = await fetch(`${serve.url}/chat/completions`, { headers: auth });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    const huge = await postJson(serve.url, "/chat/completions", { model: "haps", messages: [{ role: "user", content: "x".repeat(5 << 20) }] }, auth).catch((e: Error) => ({ status: -1, text: e.message }));
    assert.ok(huge.status === 413 || huge.status === -1, `status ${huge.status}`);
  });

  test("concurrent requests are served together; a client that goes away cancels its generation", async () => {
    const ask = (content: string) => postJson(serve.url, "/chat/completions", { model: small, max_tokens: 16, messages: [{ role: "user", content }] }, auth);
    const answers = await Promise.all([ask("one"), ask("two"), ask("three")]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.deepEqual(answers.map((a) => a.body.usage.completion_tokens <= 16), [true, true, true]);

    while (serve.server.activeCompletions > 0) await new Promise((r) => setTimeout(r, 20));
    const from = serve.log.length;
    const controller = new AbortController();
    const response = await fetch(`${serve.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ model: small, stream: true, max_tokens: 2_000, messages: [{ role: "user", content: "Tell a long story." }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    const deadline = Date.now() + 10_000;
    let line: string | undefined;
    while ((line = serve.log.slice(from).find((l) => l.includes("cancelled after"))) == null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(line, serve.log.slice(from).join("\n"));
    const generated = Number(/\+ (\d+) tokens/.exec(line)![1]);
    assert.ok(generated < 500, `stopped after ${generated} of 2,000 tokens`);
  });

  test("run-time adapters: refused outside --lora-dir, for a model not served, or of the wrong shape; unknown names 404", async () => {
    const shape = await readModelShape(serve.config.candidates[0].model);
    const o = shape.oProj.at(-1)!;
    const adapter = (inWidth: number) => ({
      architecture: shape.architecture,
      layers: [{ layer: o.layer, inWidth, outWidth: o.outWidth, rank: 2, a: new Float32Array(inWidth * 2).fill(0.01), b: new Float32Array(2 * o.outWidth).fill(0.01) }],
    });
    await writePeftAdapter(path.join(loraDir, "good"), adapter(o.inWidth), { baseModel: small });
    await writePeftAdapter(path.join(loraDir, "foreign"), adapter(o.inWidth), { baseModel: "meta-llama/Llama-3.2-1B" });
    await writePeftAdapter(path.join(loraDir, "misfit"), adapter(o.inWidth + 1), { baseModel: small });
    const outside = tempDir("outside");
    await writePeftAdapter(outside, adapter(o.inWidth), { baseModel: small });
    mkdirSync(path.join(loraDir, "broken"));
    writeFileSync(path.join(loraDir, "broken", "adapter_config.json"), "{}");
    const load = (lora_name: string, lora_path: string) => postJson(serve.url, "/load_lora_adapter", { lora_name, lora_path }, auth);
    const expect400 = async (r: Awaited<ReturnType<typeof load>>, message: RegExp) => {
      assert.equal(r.status, 400, r.text);
      assert.match(r.body.error.message, message);
    };
    // A path outside the folder and one that does not exist get the same answer: the API tells nothing of the disk.
    const outsideAnswer = await load("x", outside);
    await expect400(outsideAnswer, /is not an adapter folder inside the folder this server reads adapters from \(--lora-dir\)/);
    const missing = path.join(path.dirname(outside), "no-such-folder");
    const missingAnswer = await load("x", missing);
    assert.equal(missingAnswer.status, 400);
    assert.equal(missingAnswer.body.error.message.replace(missing, "PATH"), outsideAnswer.body.error.message.replace(outside, "PATH"));
    await expect400(await load("x", path.join(loraDir, "foreign")), /base model "meta-llama\/Llama-3\.2-1B", which this server does not serve/);
    await expect400(await load("x", path.join(loraDir, "misfit")), new RegExp(`does not fit model "${small}": layer ${o.layer}'s o_proj is`));
    await expect400(await load("x", path.join(loraDir, "broken")), /peft_type: expected "LORA"/);
    await expect400(await load("haps", path.join(loraDir, "good")), /name of a served model/);
    const ok = await load("mine", path.join(loraDir, "good"));
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /^Success: LoRA adapter 'mine' added successfully\.$/);
    await expect400(await load("mine", path.join(loraDir, "good")), /already been loaded/);
    const models = (await (await fetch(`${serve.url}/models`, { headers: auth })).json()) as { data: { id: string; parent?: string }[] };
    assert.equal(models.data.find((m) => m.id === "mine")?.parent, small);
    const answer = await postJson(serve.url, "/chat/completions", { model: "mine", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }, auth);
    assert.equal(answer.status, 200, answer.text);
    assert.equal((await postJson(serve.url, "/unload_lora_adapter", { lora_name: "mine" }, auth)).status, 200);
    const gone = await postJson(serve.url, "/unload_lora_adapter", { lora_name: "mine" }, auth);
    assert.equal(gone.status, 404);
    assert.match(gone.body.error.message, /no adapter "mine" is loaded/);
  });
});

test("past --max-concurrent, a request gets 429 with Retry-After; the adapter routes are off without --lora-dir", async () => {
  const serve = await startServe({ maxConcurrent: 1, retryAfterSeconds: 2 });
  try {
    const small = serve.config.candidates[0].id;
    const long = postJson(serve.url, "/chat/completions", { model: small, max_tokens: 400, messages: [{ role: "user", content: "Tell a story." }] });
    while (serve.server.activeCompletions === 0) await new Promise((r) => setTimeout(r, 5));
    const busy = await postJson(serve.url, "/chat/completions", { model: small, max_tokens: 4, messages: [{ role: "user", content: "hi" }] });
    assert.equal(busy.status, 429);
    assert.equal(busy.headers.get("retry-after"), "2");
    assert.equal(busy.body.error.type, "rate_limit_error");
    assert.equal((await long).status, 200);
    const off = await postJson(serve.url, "/load_lora_adapter", { lora_name: "a", lora_path: "/tmp" });
    assert.equal(off.status, 404);
    assert.match(off.body.error.message, /--lora-dir/);
  } finally {
    await serve.close();
  }
});

test("a candidate called like the routed model is refused at start", async () => {
  const serve = await startServe({}, undefined);
  try {
    const config = { ...serve.config, candidates: [{ ...serve.config.candidates[0], id: "haps" }, ...serve.config.candidates.slice(1)] };
    assert.throws(() => new HapsServer({ pipeline: { config } as never, runtime: serve.runtime }), /a candidate is called "haps"/);
  } finally {
    await serve.close();
  }
});
