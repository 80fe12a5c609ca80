// The generator's sizes against the models' shapes, and its memory estimated before anything is allocated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkGeneratorFits, estimateGeneratorMemory, type GeneratorCandidate } from "../../../src/core/config/checkGeneratorFits.ts";
import { ConfigError, parseHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPolicy } from "../../../src/core/router/HapsPolicy.ts";

const oProj = (blocks: number, inWidth: number, outWidth = inWidth) => Array.from({ length: blocks }, (_, layer) => ({ layer, inWidth, outWidth }));
const candidates: GeneratorCandidate[] = [
  { id: "small", open: true, blockCount: 4, oProj: oProj(4, 64) },
  { id: "wide", open: true, blockCount: 6, oProj: oProj(6, 128, 96) },
  { id: "api", open: false },
];
const config = (generator: object) =>
  parseHapsConfig(
    { router: { model: "r.gguf" }, agents: [{ id: "student", role: "s" }, { id: "teacher", role: "t" }], candidates: [{ id: "x", model: "x.gguf" }], generator },
    "c.json",
    "/",
  );

test("the estimate counts exactly the weights HapsPolicy builds", () => {
  for (const [shareTrunk, rank, lastLayers, hidden, factorization] of [[true, 8, 1, 32, "joint"], [false, 4, 3, 16, "autoregressive"], [true, 2, 2, 8, "independent"]] as const) {
    const policy = new HapsPolicy({ featureWidth: 48, agents: ["student", "teacher"], candidates: candidates.map((c) => ({ ...c, architecture: "llama" })), rank, lastLayers, hidden, shareTrunk, trunkWidth: 24, factorization });
    const estimate = estimateGeneratorMemory({ featureWidth: 48, agents: 2, candidates, rank, lastLayers, hidden, shareTrunk, trunkWidth: 24, factorization });
    assert.equal(estimate.parameters, policy.parameters().scalarCount, `shareTrunk ${shareTrunk}, r ${rank}, k ${lastLayers}, hidden ${hidden}`);
    assert.equal(estimate.bytes, 8 * estimate.parameters);
    assert.equal(estimate.trainingBytes, 16 * estimate.parameters);
    assert.equal(estimate.largest?.id, "wide");
  }
});

test("a rank above an adapted o_proj's width, or more layers than blocks, is refused naming field and candidate", () => {
  assert.throws(() => checkGeneratorFits(config({ rank: 65 }), 64, candidates), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      'configuration: the generator does not fit the models\n  generator.rank: 65 is larger than the o_proj of candidate "small" at layer 3 (64 -> 64): ' +
        "a LoRA update of that matrix has rank at most 64; use at most 64",
    );
    return true;
  });
  assert.throws(() => checkGeneratorFits(config({ lastLayers: 5 }), 64, candidates, { source: "my.json" }), /^ConfigError: my\.json: the generator does not fit the models\n {2}generator\.lastLayers: 5, but candidate "small" has only 4 blocks; use at most 4$/);
  const fits = checkGeneratorFits(config({ rank: 64, lastLayers: 4 }), 64, candidates);
  assert.ok(fits.parameters > 0);
});

test("a policy whose weights would not fit in memory is refused before it is built, with the sizes to lower", () => {
  // The paper's sizes: a 2,048-wide router feature and 4,096-wide candidates with r = 8.
  const paper: GeneratorCandidate[] = [
    { id: "llama-3b", open: true, blockCount: 28, oProj: oProj(28, 3072) },
    { id: "llama-8b", open: true, blockCount: 32, oProj: oProj(32, 4096) },
  ];
  const estimate = checkGeneratorFits(config({ rank: 8, hidden: 256 }), 2048, paper, { memoryLimitBytes: 2 ** 30 });
  // o_proj heads dominate: 256 x 8 x (in + out) per candidate.
  const heads = 256 * 8 * (2 * 3072 + 2 * 4096);
  assert.ok(estimate.parameters > heads && estimate.parameters < heads * 1.2, `${estimate.parameters}`);
  assert.throws(() => checkGeneratorFits(config({ rank: 256, hidden: 8192, lastLayers: 16 }), 2048, paper, { memoryLimitBytes: 2 ** 30 }), (error: Error) => {
    assert.match(error.message, /^configuration: generator: the policy would hold [\d,]+ weights, [\d.]+ GiB with their gradients \([\d.]+ GiB when trained with Adam\), more than the limit of 1\.0 GiB; the generator of candidate "llama-8b" is the largest\. Lower generator\.hidden \(8192\), generator\.rank \(256\) or generator\.lastLayers \(16\)$/);
    return true;
  });
});
