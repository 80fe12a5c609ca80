// The question length rule at its boundary: a quarter of the smallest model context, in each model's tokens.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { configModelLimits } from "../../../src/core/config/configModelLimits.ts";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import { checkEpisodeRequest, EpisodeRequestError, modelLimits } from "../../../src/core/engine/checkEpisodeRequest.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { tempDir } from "../runtime/helpers.ts";

let runtime: LlamaRuntime;
let config: ReturnType<typeof defaultConfig>;
before(async () => {
  runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
  config = defaultConfig(await ensureDefaultModels(path.join(tempDir("request-rule"), "models")));
});
after(async () => {
  await runtime.dispose();
});

test("a question of exactly a quarter of the context is accepted, one token more is refused with both counts", async () => {
  const { model, contextSize } = await runtime.loadModel(config.router.model);
  assert.equal(contextSize, 2048);
  // " river" is one token of the embedded vocabulary, so n words are n tokens.
  const question = (n: number) => "river".concat(" river".repeat(n - 1));
  assert.equal(model.tokenize(question(512)).length, 512);
  await checkEpisodeRequest(runtime, config, { question: question(512) });
  await assert.rejects(checkEpisodeRequest(runtime, config, { question: question(513) }, { question: "--question", choices: "--choices" }), (error: Error) => {
    assert.ok(error instanceof EpisodeRequestError);
    assert.equal(
      error.message,
      "--question: 513 tokens for the router model, but a question may take at most 512 (a quarter of the smallest model context, 2,048 tokens; " +
        "the rest holds the roles, the candidates, the paragraphs and the replies): shorten it",
    );
    return true;
  });
  // Choices count with the question.
  await assert.rejects(checkEpisodeRequest(runtime, config, { question: question(500), choices: ["river ".repeat(10), "b"] }), (error: Error) => {
    assert.match(error.message, /^question with its choices: 5\d\d tokens for the router model/);
    return true;
  });
});

test("modelLimits advertises the same boundary: a quarter of the smallest context, and the turn's token limit", async () => {
  assert.deepEqual(await modelLimits(runtime, config), { smallestContext: 2048, maxQuestionTokens: 512, maxOutputTokens: 256 });
  assert.equal((await modelLimits(runtime, { ...config, maxTokens: 100 })).maxOutputTokens, 100);
  // A model that cannot be loaded is named by its role, as in checkEpisodeRequest.
  const broken = { ...config, candidates: [{ ...config.candidates[0], id: "gone", model: path.join(tempDir("limits"), "missing.gguf") }] };
  await assert.rejects(modelLimits(runtime, broken as typeof config), /candidate "gone": model file .*missing\.gguf": not found/);
});

test("configModelLimits reads the same limits from the GGUF headers, without a runtime: a smaller context gives smaller limits", async () => {
  const located = async (model: string) => model;
  const fromHeaders = await configModelLimits(config, located);
  assert.deepEqual(fromHeaders, { ...(await modelLimits(runtime, config)), unread: [] });
  // A candidate trained on 256 tokens: a quarter of it is the question's limit, by the header and once loaded.
  const dir = tempDir("limits-short");
  const short = path.join(dir, "short-256.gguf");
  writeFileSync(short, buildTinyLlama({ name: "short-256", embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 128, seed: 5, contextLength: 256 }).toBytes());
  const smaller = { ...config, candidates: [{ ...config.candidates[0], id: "short", model: short }], maxTokens: 96 };
  const read = await configModelLimits(smaller, located);
  assert.deepEqual(read, { smallestContext: 256, maxQuestionTokens: 64, maxOutputTokens: 96, unread: [] });
  assert.deepEqual(await modelLimits(runtime, smaller), { smallestContext: 256, maxQuestionTokens: 64, maxOutputTokens: 96 });
  // A model not on disk yet (a URI before its download) counts with the runtime's context and is named.
  const pending = await configModelLimits({ ...config, candidates: [{ ...config.candidates[0], id: "later", model: "https://example.invalid/m.gguf" }] }, async (m) => (m.startsWith("https:") ? null : m));
  assert.equal(pending.smallestContext, 2048);
  assert.deepEqual(pending.unread, ['candidate "later" (https://example.invalid/m.gguf)']);
  // A file that is not a GGUF model is named by its role.
  const junk = path.join(dir, "junk.gguf");
  writeFileSync(junk, "not a model");
  await assert.rejects(configModelLimits({ ...config, candidates: [{ ...config.candidates[0], id: "junk", model: junk }] }, located), /^Error: candidate "junk": readContextLength: ".*junk\.gguf" \(11 bytes\): not a GGUF file/);
});
