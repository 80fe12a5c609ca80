// The trained path of the pipeline: a checkpoint (head, trunk, generators, cost statistics) drives routing and
// adapters; a checkpoint for other models is refused; dense retrieval runs on real llama.cpp embeddings.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { saveCheckpoint } from "../../../src/core/checkpoint/checkpoint.ts";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { CostNormalizer } from "../../../src/core/metrics/index.ts";
import { DenseRetriever } from "../../../src/core/retrieval/DenseRetriever.ts";
import { paragraphText } from "../../../src/core/retrieval/paragraphText.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { tempDir } from "../runtime/helpers.ts";

const context = [
  { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through it."] },
  { title: "Lyon", sentences: ["Lyon lies where the Rhone and the Saone meet."] },
];

describe("trained routing from a checkpoint", () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    config = { ...defaultConfig(await ensureDefaultModels(tempDir("models"))), maxTokens: 24 };
  });
  after(async () => {
    await runtime.dispose();
  });

  test("routes with the head, generates the checkpoint's adapters and normalises cost with its statistics", async () => {
    const untrained = await HapsPipeline.create(runtime, config);
    // Make the head prefer the second candidate for every agent, as training would: raise that assignment's quality.
    const head = untrained.policy.head;
    assert.equal(head.factorization, "joint");
    head.readouts[0].bias.data[head.assignmentIndex(config.agents.map(() => 1))] = 8;
    // And move the generators' weights, so that a fresh policy (same seed) no longer writes the same adapters.
    for (const [name, p] of untrained.policy.parameters()) if (name.startsWith("generator.")) p.data.forEach((v, i) => (p.data[i] = v * 1.5 + 0.01));
    const dir = path.join(tempDir("checkpoint"), "ckpt");
    const normalizer = new CostNormalizer().fit([0, 1e-4]);
    await saveCheckpoint(untrained.policy, dir, { extra: { costNormalizer: normalizer.toJSON() } });

    const trained = await HapsPipeline.create(runtime, { ...config, router: { ...config.router, mode: "trained", checkpoint: dir } });
    assert.equal(trained.checkpointLoaded, true);
    const report = await trained.run({ question: "Which river flows through Paris?", context });
    assert.equal(report.assignment.mode, "trained");
    for (const agent of ["student", "teacher"]) {
      assert.equal(report.assignment.choice[agent], config.candidates[1].id);
      assert.ok(report.assignment.probabilities[agent][config.candidates[1].id] > 0.99);
    }
    assert.ok(report.cost.normalised != null && report.cost.normalised >= 0 && report.cost.normalised <= 1);
    assert.equal(report.cost.normalised, normalizer.normalise(report.cost.total));
    // The generators are the checkpoint's: for any feature they write exactly the adapters the saved policy writes.
    const f = new Rng(3).fillNormal(new Float32Array(untrained.policy.config.featureWidth));
    const fresh = await HapsPipeline.create(runtime, config);
    for (const c of config.candidates) {
      assert.deepEqual(trained.policy.generate(c.id, f), untrained.policy.generate(c.id, f));
      assert.notDeepEqual(fresh.policy.generate(c.id, f), untrained.policy.generate(c.id, f));
    }
  });

  test("the cost preference acts end to end in trained mode: softmax((Q - alpha C) / T) over the checkpoint's predictions", async () => {
    const untrained = await HapsPipeline.create(runtime, config);
    const head = untrained.policy.head;
    const request = { question: "Which river flows through Paris?", context };
    const { feature } = await untrained.prepare(request);
    // Teach the head: both agents on the second (dearer) candidate is better and dearer than both on the first.
    const [cheap, dear] = config.candidates.map((c) => c.id);
    const all = (id: string) => Object.fromEntries(config.agents.map((a) => [a.id, id]));
    const adam = new Adam(untrained.policy.parameters(), { lr: 0.02 });
    const observations = head.enumerate().map((choices) => {
      const ids = choices.map((m) => head.candidates[m]);
      return ids.every((id) => id === dear) ? { choices, quality: 0.9, cost: 1 } : ids.every((id) => id === cheap) ? { choices, quality: 0.6, cost: 0.1 } : { choices, quality: 0, cost: 0.5 };
    });
    for (let t = 0; t < 600; t++) {
      adam.zeroGrad();
      head.backwardRegression(feature, observations);
      adam.step();
    }
    const dir = path.join(tempDir("checkpoint"), "alpha");
    await saveCheckpoint(untrained.policy, dir);
    const trained = await HapsPipeline.create(runtime, { ...config, router: { ...config.router, mode: "trained", checkpoint: dir } });
    // Break-even alpha is (0.9 - 0.6) / (1 - 0.1) = 1/3.
    const performanceFirst = await trained.run({ ...request, alpha: 0 });
    const costFirst = await trained.run({ ...request, alpha: 1 });
    assert.deepEqual(performanceFirst.assignment.choice, all(dear));
    assert.deepEqual(costFirst.assignment.choice, all(cheap));
    assert.equal(performanceFirst.alpha, 0);
    assert.equal(costFirst.alpha, 1);
    // The cheaper model really served the cost-first episode: every token was priced at its rate.
    assert.deepEqual(Object.keys(costFirst.tokens), [cheap]);
  });

  test("trained mode without a checkpoint, and a checkpoint for other widths, are refused clearly", async () => {
    await assert.rejects(HapsPipeline.create(runtime, { ...config, router: { ...config.router, mode: "trained" } }), /router\.checkpoint is not set/);
    const wider = await HapsPipeline.create(runtime, { ...config, generator: { ...config.generator, rank: 4 } });
    const dir = path.join(tempDir("checkpoint"), "rank4");
    await saveCheckpoint(wider.policy, dir);
    await assert.rejects(
      HapsPipeline.create(runtime, { ...config, router: { ...config.router, mode: "trained", checkpoint: dir } }),
      /rank/,
    );
  });

  test("dense retrieval through a configured embedding model", async () => {
    // The retriever on real llama.cpp embeddings: a paragraph's own text finds that paragraph, with cosine ~1.
    const embed = (texts: string[]) => runtime.embed(config.router.model, texts, "mean");
    const retriever = DenseRetriever.fromParagraphs(context, embed);
    for (const [i, p] of context.entries()) {
      const [top] = await retriever.search(paragraphText(p), 2);
      assert.equal(top.index, i);
      assert.ok(Math.abs(top.score - 1) < 1e-4, `score ${top.score}`);
    }
    // And the pipeline uses it when the configuration names an embedding model.
    const pipeline = await HapsPipeline.create(runtime, { ...config, embeddingModel: config.router.model });
    const report = await pipeline.run({ question: "Which river flows through Paris?", context });
    for (const s of report.transcript.filter((t) => t.action.type === "search" && t.observation != null))
      assert.ok(context.some((p) => s.observation!.includes(p.title)), s.observation);
  });
});
