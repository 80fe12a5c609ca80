// The runtime's services on real models: generation controls, JSON-schema output, choice probabilities, embeddings.
import { DEFAULT_MAX_CONTEXTS } from "../../../src/core/runtime/LoadedModel.ts";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { skipWithoutSharedModels, stories260K, tinyRandom32k } from "./helpers.ts";

describe("LlamaRuntime services", { skip: skipWithoutSharedModels }, () => {
  let runtime: LlamaRuntime;
  const logs: string[] = [];
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1, onLog: (_level, m) => logs.push(m) });
  });
  after(async () => {
    await runtime.dispose();
  });

  test("reports the backend with a log line, and the loaded models with their layers", async () => {
    await runtime.loadModel(stories260K);
    const info = await runtime.info();
    assert.equal(info.backend, info.gpu === false ? "cpu" : info.gpu);
    assert.equal(info.threads, 1);
    assert.equal(info.nodeLlamaCppVersion, "3.21.1");
    const model = info.models.find((m) => m.id === "stories260K");
    assert.ok(model);
    assert.equal(model.embeddingLength, 64);
    assert.equal(model.totalLayers, 6);
    assert.ok(logs.some((l) => /llama\.cpp backend: /.test(l)));
    assert.ok(logs.some((l) => /stories260K\.gguf: \d+\/6 layers offloaded/.test(l)));
  });

  test("max tokens, stop strings and greedy determinism", async () => {
    const a = await runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 7 });
    assert.equal(a.outputTokens, 7);
    assert.equal(a.stopReason, "maxTokens");
    const b = await runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 7 });
    assert.equal(b.text, a.text);
    const stopped = await runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 60, stop: ["."] });
    assert.equal(stopped.stopReason, "stop");
    assert.ok(!stopped.text.includes("."));
  });

  test("seeded sampling repeats with the same seed", async () => {
    const req = { modelPath: stories260K, prompt: "The dog", maxTokens: 16, temperature: 1.2 };
    const a = await runtime.generate({ ...req, seed: 5 });
    const b = await runtime.generate({ ...req, seed: 5 });
    assert.equal(a.text, b.text);
  });

  test("an abort signal stops a generation early", async () => {
    const controller = new AbortController();
    let chunks = 0;
    const result = await runtime.generate(
      { modelPath: stories260K, prompt: "Once upon a time", maxTokens: 200 },
      { signal: controller.signal, onText: () => ++chunks === 3 && controller.abort() },
    );
    assert.equal(result.stopReason, "abort");
    assert.ok(result.outputTokens < 200);
  });

  test("a JSON schema keeps even a random-weights model to valid JSON", async () => {
    const schema = { type: "object", properties: { teacher: { enum: ["m1", "m2"] }, student: { enum: ["m1", "m2"] } }, required: ["teacher", "student"] };
    for (const seed of [1, 2, 3]) {
      const r = await runtime.generate({ modelPath: tinyRandom32k, prompt: "Pick models:", jsonSchema: schema, maxTokens: 40, temperature: 1, seed });
      const parsed = JSON.parse(r.text);
      assert.ok(["m1", "m2"].includes(parsed.teacher) && ["m1", "m2"].includes(parsed.student), r.text);
    }
  });

  test("one JSON schema's grammar serves generations on two models at once, and a schema that cannot be compiled is refused every time", async () => {
    // The runtime compiles a schema's grammar once and shares it: each generation keeps its own evaluation state.
    const schema = { type: "object", properties: { answer: { enum: ["yes", "no"] }, sure: { type: "boolean" } }, required: ["answer", "sure"] };
    const runs = await Promise.all(
      [tinyRandom32k, stories260K, tinyRandom32k, stories260K].map((modelPath, seed) => runtime.generate({ modelPath, prompt: "Answer:", jsonSchema: schema, maxTokens: 30, temperature: 1, seed })),
    );
    for (const r of runs) {
      const parsed = JSON.parse(r.text);
      assert.ok(["yes", "no"].includes(parsed.answer) && typeof parsed.sure === "boolean", r.text);
    }
    const recursive = { $defs: { a: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" };
    for (let i = 0; i < 2; i++) {
      await assert.rejects(runtime.generate({ modelPath: stories260K, prompt: "x", jsonSchema: recursive, maxTokens: 4 }), (error: Error) => error.name === "JsonSchemaError" && /cannot be turned into a grammar/.test(error.message));
    }
  });

  test("constrained choice probabilities sum to 1 and match the renormalised next-token distribution", async () => {
    const prefix = "Once upon a time, there was a little";
    const probs = await runtime.constrainedChoiceProbabilities(stories260K, prefix, [" girl", " boy", " dog"]);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    // Here the three choices start with different tokens (" g", " b", " do" in this 512-token vocabulary), and after
    // the first token only one continuation stays allowed: the constrained probability is the model's probability
    // of each first token, renormalised over the three.
    const { model } = await runtime.loadModel(stories260K);
    const prefixLength = runtime.tokenizeWithBos(model, prefix).length;
    const ids = [" girl", " boy", " dog"].map((w) => runtime.tokenizeWithBos(model, prefix + w)[prefixLength]);
    assert.equal(new Set(ids).size, 3);
    const next = await runtime.nextTokenProbabilities(stories260K, prefix);
    const raw = ids.map((t) => next.get(t) ?? 0);
    const total = raw.reduce((a, b) => a + b, 0);
    raw.forEach((p, i) => assert.ok(Math.abs(p / total - probs[i]) < 1e-6, `${p / total} vs ${probs[i]}`));
  });

  test("on the CPU, contexts run without flash attention (its CPU kernel is the slower path; see loadModel)", async () => {
    const loaded = await runtime.loadModel(stories260K);
    assert.equal(loaded.model.defaultContextFlashAttention, false);
    const context = await loaded.createContext({ contextSize: 128, sequences: 1 });
    try {
      assert.equal(context.flashAttention, false);
    } finally {
      await context.dispose();
    }
    const embedding = await (await runtime.loadModel(stories260K, { pooling: "mean" })).model.createEmbeddingContext({ contextSize: 128, threads: 1 });
    try {
      assert.equal((embedding as unknown as { _llamaContext: { flashAttention: unknown } })._llamaContext.flashAttention, false);
    } finally {
      await embedding.dispose();
    }
  });

  test("embeddings: one vector per text, of the model's width, different for different texts", async () => {
    const [a, b] = await runtime.embed(stories260K, ["a cat sat", "the big red ball"], "mean");
    assert.equal(a.length, 64);
    assert.notDeepEqual(a, b);
    const [last] = await runtime.embed(stories260K, ["a cat sat"], "last");
    assert.notDeepEqual(last, a);
  });
});

describe("LlamaRuntime queueing", { skip: skipWithoutSharedModels }, () => {
  test("a request waiting for a free context can be cancelled before it starts", async () => {
    const runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    try {
      // Long generations hold every context of the model (DEFAULT_MAX_CONTEXTS), so the next request waits.
      await runtime.loadModel(stories260K);
      const busy = Array.from({ length: DEFAULT_MAX_CONTEXTS }, () => runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 400 }));
      let busyDone = false;
      void Promise.race(busy).then(() => (busyDone = true));
      const controller = new AbortController();
      const waiting = runtime.generate({ modelPath: stories260K, prompt: "Hello", maxTokens: 4 }, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("cancelled while queued")), 20);
      await assert.rejects(waiting, /cancelled while queued/);
      assert.equal(busyDone, false, "the cancelled request waited for a context instead of leaving the queue");
      // The queue is intact: the busy ones finish, and a later request gets a context.
      await Promise.all(busy);
      const after = await runtime.generate({ modelPath: stories260K, prompt: "Hello", maxTokens: 4 });
      assert.equal(after.outputTokens, 4);
    } finally {
      await runtime.dispose();
    }
  });
});
