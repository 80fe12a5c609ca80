// The zero-shot router's cost preference, on the embedded router LLM (real llama.cpp probabilities).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { buildRoutingPrompt } from "../../../src/core/router/RoutingPrompt.ts";
import { normalisedPrices, ZERO_SHOT_COST_SCALE, ZeroShotRouter } from "../../../src/core/router/ZeroShotRouter.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { tempDir } from "../runtime/helpers.ts";

test("prices are min-max normalised over the candidates (all equal: all 0)", () => {
  const price = (input: number, output: number) => ({ input, output });
  assert.deepEqual(normalisedPrices([{ id: "a", price: price(1, 3) }, { id: "b", price: price(0, 0) }, { id: "c", price: price(2, 2) }]), [1, 0, 1]);
  assert.deepEqual(normalisedPrices([{ id: "a", price: price(1, 1) }, { id: "b", price: price(1, 1) }]), [0, 0]);
});

describe("zero-shot routing with a cost preference", () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    config = { ...defaultConfig(await ensureDefaultModels(tempDir("models"))), maxTokens: 48 };
  });
  after(async () => {
    await runtime.dispose();
  });

  test("alpha moves an unsure decision to the cheaper candidate exactly where the price penalty outweighs the router's log-odds", async () => {
    const router = new ZeroShotRouter(runtime, config.router.model);
    const [first, second] = config.candidates;
    const prompt = buildRoutingPrompt(config.agents, config.tasks["search-qa"], { question: "Which river flows through Paris?" }, config.candidates);
    const agent = config.agents[0].id;
    const free = await router.route(prompt, [agent], [{ id: first.id, price: { input: 0, output: 0 } }, { id: second.id, price: { input: 0, output: 0 } }]);
    const p = free.probabilities[agent];
    // Make the router's own favourite the dearer candidate, so that the cost preference has something to overturn.
    const favourite = p[first.id] >= p[second.id] ? first.id : second.id;
    const other = favourite === first.id ? second.id : first.id;
    const logOdds = Math.log(p[favourite] / p[other]);
    assert.ok(logOdds > 0 && Number.isFinite(logOdds), `log-odds ${logOdds}`);
    const priced = [
      { id: favourite, price: { input: 1, output: 2 } },
      { id: other, price: { input: 0.1, output: 0.2 } },
    ];
    const threshold = logOdds / ZERO_SHOT_COST_SCALE;
    const at = (alpha: number) => router.route(prompt, [agent], priced, alpha);
    const zero = await at(0);
    assert.equal(zero.choice[agent], favourite);
    assert.ok(Math.abs(zero.probabilities[agent][favourite] - p[favourite]) < 1e-9, "alpha 0 leaves the router LLM's distribution as it is");
    assert.equal((await at(threshold * 0.9)).choice[agent], favourite);
    assert.equal((await at(threshold * 1.1)).choice[agent], other);
    // The cheaper candidate's probability rises with alpha (and overtakes at the threshold, above 1 if need be).
    let last = 0;
    for (const alpha of [0, 0.25, 0.5, 0.75, 1]) {
      const q = (await at(alpha)).probabilities[agent][other];
      assert.ok(q > last, `p(cheaper) at alpha ${alpha}: ${q} <= ${last}`);
      last = q;
    }
  });

  test("through the pipeline, --alpha reaches the zero-shot decision (today's bug: 0, 0.5 and 1 routed identically)", async () => {
    const pipeline = await HapsPipeline.create(runtime, config);
    const prepared = await pipeline.prepare({ question: "Which river flows through Paris?", context: [] });
    const cheap = config.candidates[0].id; // the embedded configuration prices the first candidate lowest
    const probs = await Promise.all([0, 0.5, 1].map(async (alpha) => (await pipeline.decide(prepared, alpha)).probabilities));
    for (const agent of config.agents.map((a) => a.id)) {
      assert.ok(probs[0][agent][cheap] < probs[1][agent][cheap] && probs[1][agent][cheap] < probs[2][agent][cheap], `${agent}: ${probs.map((p) => p[agent][cheap])}`);
    }
    // A large enough alpha routes every agent to the cheap candidate.
    const decided = await pipeline.decide(prepared, 50);
    for (const agent of config.agents.map((a) => a.id)) assert.equal(decided.choice[agent], cheap);
  });
});
