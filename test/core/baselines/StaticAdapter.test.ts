// The static-adapter baseline on the keyword benchmark's real models: one adapter per open candidate, learned with
// HAPS's estimator (an antithetic pair of episodes per training item) but blind to the query - every query gets the
// same adapter - and the best validation's adapters are the ones returned.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { episodesWith, trainStaticAdapters } from "../../../src/core/baselines/StaticAdapter.ts";
import { writeKeywordBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { loadHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import type { PreparedQuery } from "../../../src/core/episode/types.ts";
import { CostNormalizer } from "../../../src/core/metrics/index.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { parseTrainSpec } from "../../../src/core/training/TrainSpec.ts";
import { tempDir } from "../runtime/helpers.ts";

let runtime: LlamaRuntime;
let pipeline: HapsPipeline;
let train: PreparedQuery[];
let valid: PreparedQuery[];
before(async () => {
  const benchmark = await writeKeywordBenchmark(path.join(tempDir("static"), "b"), { scale: 4 });
  runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
  pipeline = await HapsPipeline.create(runtime, await loadHapsConfig(benchmark.configFile));
  const items = benchmark.items.filter((i) => i.group === "context" && i.phrasing < 2);
  const prepared = [];
  for (const i of items) prepared.push(await pipeline.prepare({ id: i.id, question: i.question, choices: i.choices, gold: i.answer }));
  train = prepared.filter((_, k) => items[k].phrasing === 0);
  valid = prepared.filter((_, k) => items[k].phrasing === 1);
});
after(async () => {
  await runtime.dispose();
});

test("static adapters: one per open candidate, an antithetic pair per training item, the same adapter for every query", async () => {
  const spec = await parseTrainSpec({ data: { format: "jsonl", file: "x.jsonl" }, out: "x", rl: { epochs: 1, batchSize: 4, validateEvery: 4, patience: 10 } }, "test spec", tempDir("spec"));
  const route = () => pipeline.fixedAssignment({ teacher: "small", student: "small" });
  const normalizer = new CostNormalizer().fit([0, 100]);
  const result = await trainStaticAdapters({ pipeline, policyConfig: pipeline.policy.config, route, train, valid, settings: spec.rl, alpha: 0, normalizer, seed: 3 });
  assert.deepEqual([...result.adapters.keys()].sort(), ["small", "wide"]);
  assert.equal(result.rollouts, 2 * train.length, "two episodes (theta+, theta-) per training item");
  assert.equal(result.history.length, 1 + train.length / 4, "validated before training and every 4 items");
  assert.equal(result.bestValidReward, Math.max(...result.history.map((h) => h.validReward)));
  // Scored with those adapters: every episode under the route, and no adapter depends on the query.
  const episodes = await episodesWith({ pipeline, route, alpha: 0, normalizer }, valid, result.adapters);
  assert.equal(episodes.length, valid.length);
  assert.ok(episodes.every((e) => e.assignment.teacher === "small" && e.assignment.student === "small"));
  const mean = episodes.reduce((s, e) => s + e.reward, 0) / episodes.length;
  assert.ok(Math.abs(mean - result.bestValidReward) < 1e-9, "the returned adapters are the best validation's");
});
