// The router's prefix-cached passes (real llama.cpp): the feature equals the embedding of the whole routing prompt,
// the zero-shot probabilities equal those of a fresh evaluation, and a query after the first costs only its own tokens.
// The router reads its decisions on the same embedding context as the feature (one pass): its next-token
// distributions must equal a generation context's.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { buildRoutingPrompt, routingPromptText } from "../../../src/core/router/RoutingPrompt.ts";
import { ZeroShotRouter } from "../../../src/core/router/ZeroShotRouter.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { PrefixSequence } from "../../../src/core/runtime/PrefixSequence.ts";
import { RoutingSequence } from "../../../src/core/runtime/RoutingSequence.ts";
import { haveSharedModels, maxProbabilityDifference, stories260K, tempDir, tinyRandom32k } from "./helpers.ts";

describe("prefix-cached routing passes", () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  const logLines: string[] = [];
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1, onLog: (_level, line) => logLines.push(line) });
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

  test("an embedding context's next-token distributions equal a generation context's (the basis of the one pass)", async () => {
    const models = [config.router.model, ...(haveSharedModels ? [stories260K, tinyRandom32k] : [])];
    for (const modelPath of models) {
      const { model } = await runtime.loadModel(modelPath, { pooling: "mean" });
      const embedding = RoutingSequence.create(await model.createEmbeddingContext({ threads: 1, contextSize: 512 }), "mean");
      const generation = await model.createContext({ threads: 1, contextSize: 512, sequences: 1 });
      const plain = new PrefixSequence(generation, generation.getSequence());
      try {
        const p = prompt("Which river flows through Paris?");
        const tokens = runtime.tokenizeWithBos(model, `${routingPromptText(p)}\nJSON: {"teacher": "`);
        // The feature first, as a route reads it, then the distribution after the query's tokens and the JSON.
        await embedding.feature((t) => model.tokenize(t), p.prefix, p.problem);
        const fromEmbedding = await embedding.holdAndPeek(tokens);
        const fromGeneration = await plain.holdAndPeek(tokens);
        assert.ok(fromEmbedding.size > 1, `${modelPath}: the embedding context gave a distribution`);
        const diff = maxProbabilityDifference(fromEmbedding, fromGeneration);
        // Different batch shapes sum in another order: float32 rounding only.
        assert.ok(diff <= 1e-4, `${modelPath}: max |p_embedding - p_generation| = ${diff}`);
        // And along a tail, token by token.
        const tail = model.tokenize('small"');
        const at = tail.map((_, i) => tokens.length + i + 1);
        const along = await embedding.peekAlong([...tokens, ...tail], at);
        const alongPlain = await plain.peekAlong([...tokens, ...tail], at);
        along.forEach((d, i) => assert.ok(maxProbabilityDifference(d, alongPlain[i]) <= 1e-4, `${modelPath}: step ${i}`));
      } finally {
        await embedding.dispose();
        await generation.dispose();
      }
    }
  });

  test("one pass: the feature and the zero-shot decision of a query evaluate its tokens once, and equal the separate reads", async () => {
    const router = new ZeroShotRouter(runtime, config.router.model, "mean");
    const agents = config.agents.map((a) => a.id);
    const sequence = (await (runtime as unknown as { routingSequences: Map<string, Promise<{ evaluatedTokens: number }>> }).routingSequences.values().next().value)!;
    const model = (await runtime.loadModel(config.router.model)).model;
    for (const question of ["Which city is the capital of France?", "How many legs has a spider?"]) {
      const p = prompt(question);
      const before = sequence.evaluatedTokens;
      const { feature, assignment } = await router.routeWithFeature(p, agents, config.candidates, 0);
      const evaluated = sequence.evaluatedTokens - before;
      const own = runtime.tokenizeWithBos(model, p.problem).length;
      const json = model.tokenize(`\nJSON: {"${agents[0]}": "${assignment.choice[agents[0]]}", "${agents[1]}": "`).length;
      const tails = config.candidates.reduce((n, c) => n + model.tokenize(`${c.id}"`).length, 0) * agents.length;
      // The query's tokens once, plus the JSON after them and the choices' tails (a token more per read where the
      // distribution after the held text must be evaluated again) - not the query again, as the two-pass route did.
      assert.ok(evaluated <= own + json + tails + agents.length, `one pass evaluated ${evaluated} tokens; the query has ${own}, the JSON ${json}, the tails ${tails}`);
      // The same figures as the separate reads (each of which evaluates the query again, after another query).
      await runtime.routingFeature(config.router.model, prompt("something else").prefix, "something else", "mean");
      const separateFeature = await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean");
      const scale = Math.max(...separateFeature.map(Math.abs));
      feature.forEach((v, i) => assert.ok(Math.abs(v - separateFeature[i]) <= 1e-6 * scale, `feature[${i}]`));
      await runtime.routingFeature(config.router.model, prompt("something else").prefix, "something else", "mean");
      const separate = await router.route(p, agents, config.candidates, 0);
      assert.deepEqual(separate.choice, assignment.choice);
      for (const a of agents) for (const c of Object.keys(separate.probabilities[a])) assert.ok(Math.abs(separate.probabilities[a][c] - assignment.probabilities[a][c]) <= 1e-6, `${a}/${c}`);
    }
    // llama.cpp's warning that it outputs every token of the decision's batches is expected, and kept out of the log.
    assert.ok(!logLines.some((l) => l.includes("not marked as outputs")), "the expected warning reached the log");
  });

  test("decisions read outside embeddings mode (native layer) equal those read in it (TypeScript path): choices, probabilities, features", async (t) => {
    const sequenceOf = async (r: LlamaRuntime) => (await (r as unknown as { routingSequences: Map<string, Promise<RoutingSequence>> }).routingSequences.values().next().value)!;
    if (runtime.native.addon == null) {
      t.skip(`no native layer here (${runtime.native.status.detail})`);
      return;
    }
    const plain = await LlamaRuntime.create({ gpu: false, threads: 1, native: false });
    try {
      const models = [config.router.model, ...(haveSharedModels ? [stories260K, tinyRandom32k] : [])];
      const agents = config.agents.map((a) => a.id);
      let compared = 0;
      for (const model of models) {
        const withSwitch = new ZeroShotRouter(runtime, model, "mean");
        const without = new ZeroShotRouter(plain, model, "mean");
        for (const question of ["Which city is the capital of France?", "How many legs has a spider?", "Who painted the Mona Lisa?"]) {
          const p = prompt(question);
          const a = await withSwitch.routeWithFeature(p, agents, config.candidates, 0);
          const b = await without.routeWithFeature(p, agents, config.candidates, 0);
          assert.deepEqual(a.assignment.choice, b.assignment.choice, `${model}: ${question}`);
          for (const agent of agents) {
            for (const c of Object.keys(b.assignment.probabilities[agent])) {
              const d = Math.abs(a.assignment.probabilities[agent][c] - b.assignment.probabilities[agent][c]);
              assert.ok(d <= 1e-5, `${model} ${agent}/${c}: |dp| ${d}`);
            }
          }
          // The feature is read in embeddings mode either way, after the previous query's decisions.
          const scale = Math.max(...b.feature.map(Math.abs));
          a.feature.forEach((v, i) => assert.ok(Math.abs(v - b.feature[i]) <= 1e-5 * scale, `${model} feature[${i}]`));
          compared++;
        }
        assert.equal((await sequenceOf(runtime)).decisionsOutputLastTokenOnly, true, "the native runtime's router sequence uses the switch");
      }
      assert.equal((await sequenceOf(plain)).decisionsOutputLastTokenOnly, false);
      assert.equal(compared, models.length * 3);
    } finally {
      await plain.dispose();
    }
  });
});
