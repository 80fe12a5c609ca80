// VS Code's language models as HAPS candidates (kind "vscode-lm"), HAPS itself as a language model, and API keys in
// SecretStorage. The vscode-lm candidate is answered by a real language model registered in this VS Code by the
// test fixture extension (test/vscode/fixtures/lm-fixture, vendor "haps-test"): the engine asks the extension over
// its IPC channel, the extension sends the turn to that model with vscode.lm. The openai candidate's server is a
// loopback stand-in for a paid API, speaking the real wire format.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";
import { conversationQuestion } from "../../../src/extension/lm/HapsChatModelProvider.ts";
import { hapsApi, PARIS_CONTEXT, sleep, withSettings, logText } from "./helpers.ts";

const FIXTURE_ID = "haps-test.haps-lm-fixture";

interface FixtureState {
  prompts: string[];
  hang: boolean;
  cancelled: number;
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

async function fixture(): Promise<FixtureState> {
  const ext = vscode.extensions.getExtension<FixtureState>(FIXTURE_ID);
  assert.ok(ext, `${FIXTURE_ID} (the test language model) is loaded`);
  return ext.isActive ? ext.exports : await ext.activate();
}

async function routerModel(): Promise<string> {
  const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
  const router = info.models.find((m) => m.id.startsWith("haps-router-") && m.pooling == null);
  assert.ok(router, "the embedded router is loaded");
  return router.path;
}

function writeConfig(dir: string, config: object): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const agents = [
  { id: "teacher", role: "Teacher: reviews each step." },
  { id: "student", role: "Student: searches and answers." },
];

describe("VS Code's language models and API keys", function () {
  const dir = mkdtempSync(join(tmpdir(), "haps-lm-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a vscode-lm candidate's turns are answered by a language model registered in VS Code, its tokens counted by that model", async function () {
    const state = await fixture();
    const api = await hapsApi();
    const file = writeConfig(dir, {
      router: { model: await routerModel() },
      agents,
      candidates: [{ id: "vs-test", kind: "vscode-lm", selector: { vendor: "haps-test", family: "stand-in" }, price: { input: 1, output: 2 } }],
      protocol: { searchBudget: 1 },
    });
    const before = state.prompts.length;
    const { report } = await withSettings({ configFile: file }, () => api.route({ question: "Which city is the capital of France?", context: PARIS_CONTEXT }));
    const prompts = state.prompts.slice(before);
    assert.ok(prompts.length >= 3, `Student search, Teacher review, Student finish went to the model (${prompts.length} requests)`);
    assert.ok(prompts.every((p) => p.includes("capital of France")));
    assert.equal(report.answer, "Paris");
    assert.deepEqual(report.adapters, [], "closed: no adapter");
    assert.deepEqual(Object.keys(report.tokens), ["vs-test"]);
    // The model's countTokens (words, in the fixture) over each request, summed by the episode.
    assert.equal(report.tokens["vs-test"].input, prompts.reduce((n, p) => n + words(p), 0));
    assert.ok(report.tokens["vs-test"].output > 0);
    assert.ok(report.transcript.every((t) => t.modelId === "vs-test"));
  });

  it("stopping the route cancels the model's request; an unmatched selector names the candidate and the models there are", async function () {
    const state = await fixture();
    const api = await hapsApi();
    const router = await routerModel();
    const file = writeConfig(dir, { router: { model: router }, agents, candidates: [{ id: "vs-test", kind: "vscode-lm", selector: { vendor: "haps-test" } }] });
    state.hang = true;
    try {
      const cancelledBefore = state.cancelled;
      const promptsBefore = state.prompts.length;
      const source = new vscode.CancellationTokenSource();
      const stream = { markdown: () => undefined, progress: () => undefined, button: () => undefined };
      const answered = withSettings({ configFile: file }, () => api.answerChat("Which city is the capital of France?", stream, source.token));
      for (let i = 0; i < 600 && state.prompts.length === promptsBefore; i++) await sleep(100);
      assert.ok(state.prompts.length > promptsBefore, "the model was asked");
      source.cancel();
      await answered;
      for (let i = 0; i < 100 && state.cancelled === cancelledBefore; i++) await sleep(50);
      assert.equal(state.cancelled, cancelledBefore + 1, "the model saw its request cancelled");
      assert.equal(api.engineActiveRequests(), 0);
    } finally {
      state.hang = false;
    }
    const missing = writeConfig(dir, { router: { model: router }, agents, candidates: [{ id: "nobody", kind: "vscode-lm", selector: { vendor: "no-such-vendor" } }] });
    await assert.rejects(
      withSettings({ configFile: missing }, () => api.route({ question: "Which city is the capital of France?", context: PARIS_CONTEXT })),
      /candidate "nobody" \(VS Code language model vendor "no-such-vendor"\): no model matches; models this VS Code offers: .*haps-test\/stand-in\/stand-in-1/,
    );
  });

  it('"HAPS (local, routed)" answers as a VS Code language model: a routed episode, token counts from the router\'s tokenizer', async function () {
    assert.deepEqual(
      conversationQuestion([
        { role: 1, content: [{ value: "Q1" }] },
        { role: 2, content: [{ value: "A1" }] },
        { role: 1, content: [{ value: "Q2" }] },
      ]),
      { question: "Q2", exchanges: [{ question: "Q1", answer: "A1" }] },
    );
    const [model] = await vscode.lm.selectChatModels({ vendor: "haps" });
    assert.ok(model, "VS Code lists the HAPS model");
    assert.equal(model.name, "HAPS (local, routed)");
    const text = "Which river flows through Paris?";
    const counted = await model.countTokens(text);
    assert.ok(counted > 0 && counted <= words(text) * 8, `a token count from a tokenizer (${counted})`);
    const response = await model.sendRequest([vscode.LanguageModelChatMessage.User(text)], {}, new vscode.CancellationTokenSource().token);
    let answer = "";
    for await (const piece of response.text) answer += piece;
    assert.ok(answer.length > 0, "the answer (or '(no answer)') came back as text");
  });

  it("advertises the configured models' limits, read from their headers without the engine, and announces new ones when the model settings change", async () => {
    const api = await hapsApi();
    const provider = api.languageModel.provider;
    const token = new vscode.CancellationTokenSource().token;
    const router = await routerModel();
    // A candidate trained on a 256-token context (the embedded models have 2,048).
    const short = join(dir, "short-256.gguf");
    writeFileSync(short, buildTinyLlama({ name: "short-256", embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 128, seed: 5, contextLength: 256 }).toBytes());
    const file = writeConfig(dir, { router: { model: router }, agents, candidates: [{ id: "short", kind: "local", model: short }], maxTokens: 96 });

    // Listing the language models, as another extension would, sends nothing to the engine (it neither starts it
    // nor loads a model).
    const sentBefore = api.engineRequestsSent();
    // The embedded models: a 2,048-token context (a question may take a quarter) and 256-token turns.
    const [embedded] = await provider.provideLanguageModelChatInformation({ silent: true }, token);
    assert.equal(embedded.maxInputTokens, 512);
    assert.equal(embedded.maxOutputTokens, 256);
    const listed = (await vscode.lm.selectChatModels({ vendor: "haps" }))[0];
    assert.equal(listed.maxInputTokens, 512, "VS Code lists the same limit");

    let announced = 0;
    const sub = provider.onDidChangeLanguageModelChatInformation(() => announced++);
    try {
      await withSettings({ configFile: file }, async () => {
        assert.ok(announced >= 1, "a change of haps.configFile is announced");
        const [configured] = await provider.provideLanguageModelChatInformation({ silent: true }, token);
        assert.equal(configured.maxInputTokens, 64, "a quarter of the short candidate's 256-token context");
        assert.equal(configured.maxOutputTokens, 96, "the configuration's maxTokens");
        let seen = 0;
        for (let i = 0; i < 100; i++) {
          seen = (await vscode.lm.selectChatModels({ vendor: "haps" }))[0]?.maxInputTokens ?? 0;
          if (seen === 64) break;
          await sleep(100);
        }
        assert.equal(seen, 64, "VS Code lists the new limit");
        assert.equal(api.engineRequestsSent(), sentBefore, "no engine request while listing");
        // The engine, once asked, enforces the limit that was advertised.
        await assert.rejects(api.route({ question: "river".concat(" river".repeat(70)) }), /a question may take at most 64 \(a quarter of the smallest model context, 256 tokens/);
      });
      // Settings that name a missing file: not offered (and the log says why).
      await withSettings({ configFile: join(dir, "missing.json") }, async () => {
        assert.deepEqual(await provider.provideLanguageModelChatInformation({ silent: true }, token), []);
      });
      assert.match(await logText(), /HAPS \(local, routed\) is not offered as a language model: .*missing\.json/);
    } finally {
      sub.dispose();
    }
  });

  it("an API key set with HAPS: Set API Key reaches the server and never the log, the settings or an error message", async function () {
    const api = await hapsApi();
    const good = `sk-good-${Math.random().toString(36).slice(2)}`;
    const bad = `sk-bad-${Math.random().toString(36).slice(2)}`;
    const seen: (string | undefined)[] = [];
    const server: Server = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== `Bearer ${good}`) {
        // A careless server that echoes what it got: the client must redact it before anyone sees it.
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `invalid key: ${req.headers.authorization}` } }));
        return;
      }
      const request = JSON.parse(body) as { stream?: boolean };
      const content = JSON.stringify({ summary: "s", thought: "t", action: "Finish", argument: "Paris", verdict: "Continue", advice: "a" });
      const usage = { prompt_tokens: 9, completion_tokens: 4 };
      if (!request.stream) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }], usage }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: "stop" }] })}\n\n`);
      res.end(`data: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const file = writeConfig(dir, {
        router: { model: await routerModel() },
        agents,
        candidates: [{ id: "remote", kind: "openai", baseUrl, model: "m", structuredOutput: "none", prefill: "none", retries: 0 }],
        protocol: { searchBudget: 0 },
      });
      await withSettings({ configFile: file }, async () => {
        await vscode.commands.executeCommand("haps.setApiKey", { candidate: "remote", key: bad });
        const failure = await api.route({ question: "Which city is the capital of France?", context: PARIS_CONTEXT }).then(() => null, (e: Error) => e.message);
        assert.ok(failure, "the wrong key was refused");
        assert.match(failure, /candidate "remote".*401/s);
        assert.match(failure, /invalid key: Bearer \*\*\*/, "the echoed key was redacted");
        assert.ok(!failure.includes(bad));
        assert.equal(seen.at(-1), `Bearer ${bad}`, "the stored key was sent");

        // The same id pointed at another origin (localhost instead of 127.0.0.1, the same capture server): the key
        // stored for the id is refused, with both origins named, and nothing reaches the server with a key.
        const elsewhere = writeConfig(dir, {
          router: { model: await routerModel() },
          agents,
          candidates: [{ id: "remote", kind: "openai", baseUrl: baseUrl.replace("127.0.0.1", "localhost"), model: "m", structuredOutput: "none", prefill: "none", retries: 0 }],
          protocol: { searchBudget: 0 },
        });
        await vscode.workspace.getConfiguration("haps").update("configFile", elsewhere, vscode.ConfigurationTarget.Global);
        seen.length = 0;
        const redirected = await api.route({ question: "Which city is the capital of France?", context: PARIS_CONTEXT }).then(() => null, (e: Error) => e.message);
        await vscode.workspace.getConfiguration("haps").update("configFile", file, vscode.ConfigurationTarget.Global);
        assert.ok(redirected, "the route with the redirected id was refused");
        assert.match(redirected, /candidate "remote": its stored API key is for http:\/\/127\.0\.0\.1:\d+, but the configuration sends this candidate to http:\/\/localhost:\d+/);
        assert.ok(seen.every((h) => h == null), `no key reached the other origin: ${seen.join(", ")}`);

        await vscode.commands.executeCommand("haps.setApiKey", { baseUrl: `${baseUrl}/`, key: good });
        await vscode.commands.executeCommand("haps.setApiKey", { candidate: "remote", key: "" }); // by id would win; remove it
        const { report } = await api.route({ question: "Which city is the capital of France?", context: PARIS_CONTEXT });
        assert.equal(report.answer, "Paris");
        assert.equal(seen.at(-1), `Bearer ${good}`, "the key by base URL, after the one by id was removed");
        assert.deepEqual(api.apiKeyTargets(), [{ origin: new URL(baseUrl).origin }]);
        await vscode.commands.executeCommand("haps.setApiKey", { baseUrl, key: "" });
      });
      const log = await logText();
      assert.match(log, /Stored an API key for candidate "remote"/, "the log is the real one");
      for (const key of [good, bad]) {
        assert.ok(!log.includes(key), "no key in the output channel");
        assert.ok(!JSON.stringify(vscode.workspace.getConfiguration("haps")).includes(key), "no key in the settings");
        assert.ok(!JSON.stringify(api.routePanel.lastSnapshot() ?? {}).includes(key), "no key in the route panel");
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
