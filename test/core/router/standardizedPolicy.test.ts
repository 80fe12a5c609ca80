import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint, saveCheckpoint, MANIFEST_FILE } from "../../../src/core/checkpoint/checkpoint.ts";
import { HapsPolicy } from "../../../src/core/router/HapsPolicy.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { routingValue, warmUp, type SupervisedItem } from "../../../src/core/training/Sft.ts";
import { COSTS, commonComponentExamples, WIDTH } from "../baselines/commonComponent.ts";
import type { RoutingExample } from "../../../src/core/baselines/types.ts";

// The planted problem of the kNN/MLP tests (a large common component, two uninformative outlier dimensions, a small
// informative variation; group g answered only by assignment g) as HAPS's warm-up sees it: teacher x student over two
// closed candidates, so only the head and the trunk learn.
const config = {
  featureWidth: WIDTH,
  agents: ["teacher", "student"],
  candidates: [
    { id: "m1", open: false },
    { id: "m2", open: false },
  ],
  seed: 4,
};
const choicesOf = (j: number) => [Math.floor(j / 2), j % 2];
const supervised = (examples: RoutingExample[]): SupervisedItem[] =>
  examples.map((ex) => ({ id: ex.id, feature: ex.embedding, outcomes: COSTS.map((c, j) => ({ choices: choicesOf(j), quality: ex.quality[j], cost: c })) }));
const train = supervised(commonComponentExamples(31, 48, "tr").examples);
const valid = supervised(commonComponentExamples(32, 16, "va").examples);
const test_ = supervised(commonComponentExamples(33, 64, "te").examples);
const SFT = { target: "tuples" as const, reweight: false, epochs: 100, batchSize: 8, lr: 3e-3 };

test("warm-up fits the feature statistics on the training items and then learns the planted routing", () => {
  const policy = new HapsPolicy(config);
  assert.equal(new HapsPolicy(config).featureStandardizer, null);
  warmUp(policy, { train, valid }, SFT, 0, new Rng(1));
  const s = policy.featureStandardizer;
  assert.ok(s != null);
  // The mean is the training items' mean, not the validation items'.
  const mean0 = train.reduce((a, i) => a + Number(i.feature[5]), 0) / train.length;
  assert.ok(Math.abs(s.mean[5] - mean0) < 1e-9);
  const value = routingValue(policy, test_, 0);
  assert.ok(value >= 0.95, `held-out routing value ${value}`);
});

test("the checkpoint stores the statistics and a loaded policy routes exactly as the trained one", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "haps-std-"));
  try {
    const policy = new HapsPolicy(config);
    warmUp(policy, { train, valid }, { ...SFT, epochs: 5 }, 0, new Rng(1));
    await saveCheckpoint(policy, dir);
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8"));
    assert.equal(manifest.featureStandardizer.mean.length, WIDTH);
    const { policy: loaded } = await loadCheckpoint(dir, config);
    for (const item of test_.slice(0, 8)) {
      assert.deepEqual(Array.from(loaded.head.distribution(item.feature, 0.5).probs), Array.from(policy.head.distribution(item.feature, 0.5).probs));
    }
    manifest.featureStandardizer.scale = manifest.featureStandardizer.scale.slice(1);
    manifest.featureStandardizer.mean = manifest.featureStandardizer.mean.slice(1);
    await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
    await assert.rejects(loadCheckpoint(dir, config), /featureStandardizer has width 47, the policy reads features of width 48/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
