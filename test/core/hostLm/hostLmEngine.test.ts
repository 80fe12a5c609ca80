// vscode-lm candidates through a real engine process: the engine asks its parent (here the test, standing in for the
// extension with an answer function) over the IPC channel, streams the answer into the episode and counts the tokens
// the parent reports; cancellation reaches the parent; a parent that answers no lmChat (as the CLI) gets the
// configuration refused with the field path. Also: API keys the parent supplies reach an openai candidate's server
// (a loopback stand-in for a paid API), and downloadModels fetches a configuration's URIs into the engine's cache.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EngineClient, type EngineClientOptions } from "../../../src/core/engine/EngineClient.ts";
import { uriCacheDir } from "../../../src/core/download/downloadModel.ts";
import type { ModelDownloadEvent } from "../../../src/core/download/downloadModels.ts";
import type { EpisodeEvent } from "../../../src/core/episode/types.ts";
import type { HostHandlers, LmChatParams } from "../../../src/core/host/types.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { defaultCacheDir, ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { tempDir } from "../runtime/helpers.ts";
import { schemaAnswer } from "./schemaAnswer.ts";

const enginePath = fileURLToPath(new URL("../../../src/core/engine/engineMain.ts", import.meta.url));
const cacheDir = tempDir("host-lm");
const clients: EngineClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  rmSync(cacheDir, { recursive: true, force: true });
});

function client(options: Partial<EngineClientOptions> = {}): EngineClient {
  const c = new EngineClient({ enginePath, execArgv: ["--import", "tsx"], runtime: { threads: 1, gpu: false }, env: { HAPS_CACHE_DIR: cacheDir }, ...options });
  clients.push(c);
  return c;
}

/** What the shared engine's parent answers lmChat with; each test sets its own. */
let lmChat: HostHandlers["lmChat"] = async () => {
  throw new Error("no lmChat answer set by the test");
};
/** One engine for the tests that need a parent answering lmChat (an engine start is seconds under tsx). */
let shared: EngineClient | null = null;
const withHost = () => (shared ??= client({ hostHandlers: { lmChat: (params, ctx) => lmChat(params, ctx) } }));

const agents = [
  { id: "teacher", role: "Teacher: reviews each step." },
  { id: "student", role: "Student: searches and answers." },
];
const context = [
  { title: "Paris", sentences: ["Paris is the capital of France."] },
  { title: "Lyon", sentences: ["Lyon lies on the Rhone."] },
];

async function lmConfig(extra: object = {}) {
  const { router } = await ensureDefaultModels(defaultCacheDir());
  return { router: { model: router.path }, agents, candidates: [{ id: "vs-model", kind: "vscode-lm", selector: { vendor: "test", family: "stand-in" }, price: { input: 1, output: 2 } }], protocol: { searchBudget: 1 }, ...extra };
}

/** A stand-in lmChat: each answer streamed in three pieces; tokens counted as words (a tokenizer of its own). */
function standIn(calls: LmChatParams[]): HostHandlers["lmChat"] {
  return async (params, { emit }) => {
    calls.push(params);
    // The Student searches until it has read the paragraph, so that the Teacher reviews a search too.
    const text = schemaAnswer(params.messages.at(-1)!.content, { searchUntil: "Paris is the capital" });
    const third = Math.ceil(text.length / 3);
    for (let i = 0; i < text.length; i += third) emit("text", { text: text.slice(i, i + third) });
    const count = (s: string) => s.split(/\s+/).filter(Boolean).length;
    return { text, promptTokens: params.messages.reduce((n, m) => n + count(m.content), 0), outputTokens: count(text), model: "test/stand-in/1" };
  };
}

describe("vscode-lm candidates answered by the engine's parent", () => {
  test("every turn goes to the parent's lmChat; its text streams into the episode and its token counts are the report's", async () => {
    const calls: LmChatParams[] = [];
    lmChat = standIn(calls);
    const c = withHost();
    const texts: string[] = [];
    const report = await c.request(
      "route",
      { question: "Which city is the capital of France?", context, config: await lmConfig() },
      { onEvent: (name, data) => name === "episode" && (data as EpisodeEvent).type === "text" && texts.push((data as { text: string }).text) },
    );
    assert.ok(calls.length >= 3, `the Student searched, the Teacher reviewed, the Student finished (${calls.length} calls)`);
    assert.ok(calls.some((call) => /"verdict"/.test(call.messages[0].content)), "the Teacher's turn went to the parent too");
    for (const call of calls) {
      assert.equal(call.candidate, "vs-model");
      assert.deepEqual(call.selector, { vendor: "test", family: "stand-in" });
      assert.match(call.messages[0].content, /capital of France/);
      assert.ok(call.maxTokens > 0);
    }
    assert.deepEqual(Object.keys(report.tokens), ["vs-model"]);
    const turns = report.transcript;
    assert.ok(turns.every((t) => t.modelId === "vs-model"));
    const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
    const expectedOutput = calls.reduce((n, call) => n + words(schemaAnswer(call.messages.at(-1)!.content, { searchUntil: "Paris is the capital" })), 0);
    assert.equal(report.tokens["vs-model"].output, expectedOutput, "output tokens are the parent's counts, summed");
    assert.equal(report.tokens["vs-model"].input, calls.reduce((n, call) => n + words(call.messages[0].content), 0));
    assert.equal(report.cost.total, (report.tokens["vs-model"].input * 1 + expectedOutput * 2) / 1e6);
    assert.deepEqual(report.adapters, [], "closed: no adapter");
    assert.equal(report.answer, "Paris");
    assert.equal(report.stoppedBecause, "finished");
    assert.ok(texts.join("").includes('"argument":"Paris"'), "the streamed pieces reached the episode's text events");
  });

  test("cancelling the route cancels the parent's model request", async () => {
    let seen: AbortSignal | null = null;
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    lmChat = (_params, { signal }) => {
      seen = signal;
      markStarted();
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    };
    const c = withHost();
    const controller = new AbortController();
    const route = c.request("route", { question: "Which city is the capital of France?", context, config: await lmConfig() }, { signal: controller.signal });
    await started;
    controller.abort();
    const outcome = await route.then((r) => r.stoppedBecause, (e: Error) => e.name);
    assert.ok(["aborted", "AbortError"].includes(outcome), `the route stopped (${outcome})`);
    assert.equal(seen!.aborted, true, "the parent's request was cancelled");
  });

  test("a parent whose model is unavailable fails the episode with its message; the engine serves the next request", async () => {
    lmChat = async (params) => {
      throw new Error(`candidate "${params.candidate}": no VS Code language model matches vendor "test"`);
    };
    const c = withHost();
    await assert.rejects(c.request("route", { question: "Which city is the capital of France?", context, config: await lmConfig() }), /candidate "vs-model": no VS Code language model matches vendor "test"/);
    const info = await c.request("runtimeInfo", {});
    assert.ok(info.threads >= 1);
  });

  test("a parent that answers no lmChat (as the CLI) gets the configuration refused with the field path", async () => {
    const c = client();
    await assert.rejects(
      c.request("route", { question: "Which city is the capital of France?", context, config: await lmConfig() }),
      /inline configuration: candidates\[0\]\.kind: "vscode-lm" \(candidate "vs-model"\) is one of VS Code's language models, which only the HAPS extension in VS Code can reach; the haps command line cannot/,
    );
  });
});

describe("API keys from the engine's parent", () => {
  let server: Server;
  let baseUrl: string;
  const seen: (string | undefined)[] = [];
  before(async () => {
    // A loopback stand-in for a paid OpenAI-compatible API (the real wire format): it records the Authorization header.
    server = createServer(async (req: IncomingMessage, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      seen.push(req.headers.authorization);
      const request = JSON.parse(body) as { messages: { content: string }[]; stream?: boolean };
      const content = schemaAnswer(request.messages.map((m) => m.content).join("\n"));
      const usage = { prompt_tokens: 7, completion_tokens: 3 };
      if (!request.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }], usage }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id: "x", object: "chat.completion.chunk", choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("a key by candidate id wins over one by origin; a change reaches the running engine", async () => {
    const { router } = await ensureDefaultModels(defaultCacheDir());
    const config = {
      router: { model: router.path },
      agents,
      candidates: [{ id: "remote", kind: "openai", baseUrl, model: "m", structuredOutput: "none", prefill: "none" }],
      protocol: { searchBudget: 0 },
    };
    const c = withHost();
    c.setApiKeys({ byCandidate: {}, byOrigin: { [`${baseUrl}/`]: "key-by-origin" } });
    seen.length = 0;
    await c.request("route", { question: "Which city is the capital of France?", context, config });
    const sentOnly = (header: string | undefined): boolean => seen.length > 0 && seen.every((h): boolean => h === header);
    assert.ok(sentOnly("Bearer key-by-origin"), `headers: ${seen.join(", ")}`);
    c.setApiKeys({ byCandidate: { remote: { key: "key-by-id", origin: baseUrl } }, byOrigin: { [baseUrl]: "key-by-origin" } });
    seen.splice(0);
    await c.request("route", { question: "Which city is the capital of France?", context, config });
    assert.ok(sentOnly("Bearer key-by-id"), `headers: ${seen.join(", ")}`);
    c.setApiKeys({ byCandidate: {}, byOrigin: {} });
    seen.splice(0);
    await c.request("route", { question: "Which city is the capital of France?", context, config });
    assert.ok(sentOnly(undefined), "a removed key is not sent any more");
  });

  test("a key stored for a candidate id does not follow the id to another server", async () => {
    const { router } = await ensureDefaultModels(defaultCacheDir());
    // The same capture server under another origin (localhost instead of 127.0.0.1): a workspace configuration that
    // reuses the id with its own baseUrl must not receive the key stored for the id.
    const elsewhere = baseUrl.replace("127.0.0.1", "localhost");
    const config = {
      router: { model: router.path },
      agents,
      candidates: [{ id: "remote", kind: "openai", baseUrl: elsewhere, model: "m", structuredOutput: "none", prefill: "none" }],
      protocol: { searchBudget: 0 },
    };
    const c = withHost();
    c.setApiKeys({ byCandidate: { remote: { key: "key-for-127", origin: baseUrl } }, byOrigin: {} });
    seen.splice(0);
    const failure = await c.request("route", { question: "Which city is the capital of France?", context, config }).then(
      () => null,
      (e: Error) => e.message,
    );
    c.setApiKeys({ byCandidate: {}, byOrigin: {} });
    assert.ok(failure != null, "the route is refused");
    const port = new URL(baseUrl).port;
    assert.match(failure, new RegExp(`candidate "remote": its stored API key is for http://127\\.0\\.0\\.1:${port}, but the configuration sends this candidate to http://localhost:${port}`));
    assert.ok(seen.every((h) => h == null), `no key reached the other origin: ${seen.join(", ")}`);
  });
});

describe("downloadModels in the engine", () => {
  const model = Buffer.from(buildTinyLlama({ name: "engine-download", embeddingLength: 64, blockCount: 1, headCount: 4, feedForwardLength: 16 }).toBytes());
  const sha256 = createHash("sha256").update(model).digest("hex");
  let server: Server;
  let origin: string;
  before(async () => {
    server = createServer((req, res) => {
      if (!req.url!.endsWith(".gguf")) return res.writeHead(404).end();
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
      const start = m ? Number(m[1]) : 0;
      const end = m && m[2] ? Number(m[2]) : model.length - 1;
      res.writeHead(m ? 206 : 200, { "accept-ranges": "bytes", "content-length": end - start + 1, ...(m ? { "content-range": `bytes ${start}-${end}/${model.length}` } : {}) });
      res.end(req.method === "HEAD" ? undefined : model.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("a dry run names what is missing; the download streams start, progress and done into the engine's cache; a second run fetches nothing", async () => {
    const { router } = await ensureDefaultModels(defaultCacheDir());
    const uri = `${origin}/m/engine-candidate.gguf`;
    const config = { router: { model: router.path }, agents, candidates: [{ id: "dl", model: uri, sha256 }] };
    const c = withHost();
    const dry = await c.request("downloadModels", { config, dryRun: true });
    assert.deepEqual(dry.files.map((f) => [f.field, f.file]), [["candidates[0].model", null]]);
    assert.equal(dry.dir, path.join(cacheDir, "models"));
    const events: ModelDownloadEvent[] = [];
    const done = await c.request("downloadModels", { config }, { onEvent: (name, data) => name === "download" && events.push(data as ModelDownloadEvent) });
    const file = done.files[0].file!;
    assert.equal(file, path.join(uriCacheDir(uri, path.join(cacheDir, "models")), "engine-candidate.gguf"));
    assert.ok(existsSync(file) && done.files[0].downloaded);
    assert.equal(events[0].type, "start");
    assert.equal(events.at(-1)!.type, "done");
    const last = events.filter((e) => e.type === "progress").at(-1);
    assert.equal(last?.type === "progress" ? last.progress.totalBytes : -1, model.length);
    const again = await c.request("downloadModels", { config });
    assert.equal(again.files[0].downloaded, false, "found in the cache, checked, not fetched");
    // The route finds the file where the download put it.
    const report = await c.request("route", { question: "Which city is the capital of France?", context, config: { ...config, protocol: { searchBudget: 0 }, maxTokens: 48 } });
    assert.deepEqual(Object.keys(report.tokens), ["dl"]);
  });
});
