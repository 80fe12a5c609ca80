// The router's prefix-cached passes (real llama.cpp): the feature equals the embedding of the whole routing prompt,
// the zero-shot probabilities equal those of a fresh evaluation, and a query after the first costs only its own tokens.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { buildRoutingPrompt, routingPromptText } from "../../../src/core/router/RoutingPrompt.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { haveSharedModels, stories260K, tempDir, tinyRandom32k } from "./helpers.ts";

describe("prefix-cached routing passes", () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    config = defaultConfig(await ensureDefaultModels(tempDir("models")));
  });
  after(async () => {
    await runtime.dispose();
  });
  const prompt = (question: string) => buildRoutingPrompt(config.agents, config.tasks["search-qa"], { question }, config.candidates);

  test("the feature of prefix + problem equals the embedding of the whole text, query after query, mean and last pooling", async () => {
    const models = [config.router.model, ...(haveSharedModels ? [stories260K, tinyRandom32k] : [])];
    for (const model of models) {
      for (const pooling of ["mean", "last"] as const) {
        for (const question of ["Which river flows through Paris?", "Who wrote the book about the white whale?", "Is the sky blue?"]) {
          const p = prompt(question);
          const cached = await runtime.routingFeature(model, p.prefix, p.problem, pooling);
          const [whole] = await runtime.embed(model, [routingPromptText(p)], pooling);
          const scale = Math.max(...whole.map(Math.abs));
          const diff = Math.max(...whole.map((v, i) => Math.abs(v - cached[i])));
          // Float32 sums in batches of other shapes: measured up to 2e-3 of the scale on the embedded router.
          assert.ok(diff <= 5e-3 * scale, `${model} ${pooling}: |diff| ${diff} against scale ${scale}`);
        }
      }
    }
  });

  test("zero-shot choice probabilities equal a fresh evaluation's, and later queries evaluate only their own tokens", async () => {
    const ids = config.candidates.map((c) => c.id);
    const sequenceTokens = async () => ((await (runtime as unknown as { routingSequences: Map<string, Promise<{ evaluatedTokens: number }>> }).routingSequences.values().next().value) as { evaluatedTokens: number }).evaluatedTokens;
    let before = 0;
    for (const [k, question] of ["Which river flows through Paris?", "Who wrote the book about the white whale?"].entries()) {
      const text = `${routingPromptText(prompt(question))}\nJSON: {"teacher": "`;
      const cached = await runtime.routingChoiceProbabilities(config.router.model, text, ids, '"');
      const fresh = await runtime.constrainedChoiceProbabilities(config.router.model, text, ids, '"');
      cached.forEach((p, i) => assert.ok(Math.abs(p - fresh[i]) <= 1e-2 * Math.max(p, fresh[i]) + 1e-9, `${p} vs ${fresh[i]}`));
      const evaluated = (await sequenceTokens()) - before;
      before += evaluated;
      const model = (await runtime.loadModel(config.router.model)).model;
      const whole = runtime.tokenizeWithBos(model, text).length;
      const own = runtime.tokenizeWithBos(model, `${prompt(question).problem}\nJSON: {"teacher": "`).length;
      const tails = ids.reduce((n, id) => n + model.tokenize(`${id}"`).length, 0);
      if (k === 0) assert.ok(evaluated >= whole - 1, `the first query evaluates the whole prompt (${evaluated} of ${whole})`);
      // Later: the query's own tokens and the choices' tails, not the prefix again.
      else assert.ok(evaluated <= own + tails && evaluated < whole / 4, `a later query evaluated ${evaluated} tokens; its own part has ${own}, the choices ${tails}, the whole ${whole}`);
    }
  });
});
