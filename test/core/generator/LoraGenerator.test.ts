import { test } from "node:test";
import assert from "node:assert/strict";
import { LoraGenerator, type GeneratorModel } from "../../../src/core/generator/LoraGenerator.ts";
import { HapsPolicy } from "../../../src/core/router/HapsPolicy.ts";
import { Trunk } from "../../../src/core/nn/Trunk.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { ParameterSet } from "../../../src/core/nn/ParameterSet.ts";
import type { LoraAdapter } from "../../../src/core/adapters/types.ts";
import { checkParameterGradients } from "../nn/finiteDifferences.ts";
import { oProjOf, smallConfig } from "./fixtures.ts";

function feature(rng: Rng, d = 10): Float64Array {
  return rng.fillNormal(new Float64Array(d));
}

test("each open model gets adapters shaped by its own widths, for its last k blocks", () => {
  const policy = new HapsPolicy(smallConfig());
  const f = feature(new Rng(1));
  const wide = policy.generate("wide", f)!;
  const narrow = policy.generate("narrow", f)!;
  assert.equal(wide.architecture, "llama");
  assert.equal(narrow.architecture, "qwen2");
  assert.equal(wide.alpha, 3);
  assert.deepEqual(wide.layers.map((l) => l.layer), [2, 3]);
  assert.deepEqual(narrow.layers.map((l) => l.layer), [1, 2]);
  for (const [adapter, inWidth, outWidth] of [[wide, 12, 10], [narrow, 6, 8]] as const) {
    for (const l of adapter.layers) {
      assert.equal(l.rank, 3);
      assert.equal(l.inWidth, inWidth);
      assert.equal(l.outWidth, outWidth);
      assert.equal(l.a.length, inWidth * 3);
      assert.equal(l.b.length, 3 * outWidth);
      assert.ok(l.a instanceof Float32Array && l.b instanceof Float32Array);
    }
  }
  // k = 1 adapts only the final block.
  const one = new HapsPolicy(smallConfig({ lastLayers: 1 })).generate("wide", f)!;
  assert.deepEqual(one.layers.map((l) => l.layer), [3]);
});

test("a model whose blocks differ in width gets per-layer shapes", () => {
  const rng = new Rng(2);
  const trunk = new Trunk(10, rng, { width: 8 });
  const oProj = [...oProjOf(3, 6, 8), { layer: 3, inWidth: 9, outWidth: 8 }];
  const gen = new LoraGenerator({ id: "mixed", architecture: "llama", blockCount: 4, oProj }, trunk, { rank: 2, lastLayers: 2, hidden: 5 }, rng);
  const adapter = gen.generate(feature(rng));
  assert.deepEqual(adapter.layers.map((l) => [l.layer, l.inWidth, l.a.length]), [[2, 6, 12], [3, 9, 18]]);
});

test("closed candidates get no generator, no parameters, no adapter and no gradient", () => {
  const policy = new HapsPolicy(smallConfig());
  const rng = new Rng(3);
  const f = feature(rng);
  assert.equal(policy.generator("api"), null);
  assert.equal(policy.generate("api", f), null);
  assert.equal(policy.sampleAdapter("api", f, 0.1, rng), null);
  assert.ok(!policy.parameters().names().some((n) => n.includes("api")));
  const params = policy.parameters();
  params.zeroGrad();
  assert.equal(policy.backwardAdapter("api", f, null, 1), 0);
  assert.equal(params.gradNorm(), 0);
  const noise = policy.sampleAdapter("wide", f, 0.1, rng)!.noise;
  assert.throws(() => policy.backwardAdapter("api", f, noise, 1), /"api" is closed/);
  assert.throws(() => policy.backwardAdapter("wide", f, null, 1), /"wide" is open/);
  assert.throws(() => policy.generate("gpt", f), /unknown candidate "gpt" \(known: wide, narrow, api\)/);
  // The closed model can still be routed to.
  assert.ok(policy.head.candidates.includes("api"));
});

test("backwardLikelihood matches finite differences through heads, MLP and trunk", () => {
  const policy = new HapsPolicy(smallConfig({ activation: "gelu" }));
  const gen = policy.generator("narrow")!;
  const rng = new Rng(4);
  const f = feature(rng);
  const sigma = 0.05;
  const target = gen.sampleAdapter(f, sigma, rng).adapter;
  const weight = 0.7;
  // Only the trunk and this generator's tensors are involved.
  const params = [...policy.parameters()].filter(([n]) => n.startsWith("trunk.") || n.startsWith("generator.narrow."));
  const check = checkParameterGradients(
    params,
    () => -weight * gen.logProb(f, target, sigma),
    () => gen.backwardLikelihood(f, target, sigma, weight),
    rng,
    { perTensor: 20, rtol: 2e-3 },
  );
  assert.ok(check.worst <= 1, check.detail);
  assert.ok(check.checked > 100 && check.largest > 0);
});

test("backwardAdapter is REINFORCE on the sampled noise: the same gradient as the likelihood of the sample", () => {
  const policy = new HapsPolicy(smallConfig());
  const gen = policy.generator("wide")!;
  const params = policy.parameters();
  const rng = new Rng(5);
  const f = feature(rng);
  const sample = gen.sampleAdapter(f, 0.02, rng);
  params.zeroGrad();
  const lpNoise = gen.backwardAdapter(f, sample.noise, 1.3);
  const viaNoise = [...params].map(([, p]) => Float64Array.from(p.grad));
  params.zeroGrad();
  const lpStored = gen.backwardLikelihood(f, sample.adapter, 0.02, 1.3);
  const viaStored = [...params].map(([, p]) => Float64Array.from(p.grad));
  assert.ok(Math.abs(lpNoise - sample.logProb) < 1e-9);
  // The stored adapter is float32, so it agrees up to float32 rounding of theta.
  assert.ok(Math.abs(lpStored - sample.logProb) < 1e-3 * Math.abs(sample.logProb));
  let diff = 0;
  let norm = 0;
  viaNoise.forEach((g, k) => g.forEach((v, i) => ((diff += (v - viaStored[k][i]) ** 2), (norm += v * v))));
  assert.ok(norm > 0 && Math.sqrt(diff / norm) < 1e-3, `relative difference ${Math.sqrt(diff / norm)}`);
});

test("sampled adapters are centred on the generated one with spread sigma, and log p is their density", () => {
  const policy = new HapsPolicy(smallConfig());
  const gen = policy.generator("narrow")!;
  const rng = new Rng(6);
  const f = feature(rng);
  const mean = gen.generate(f).layers[0].a;
  const sigma = 0.3;
  const n = 400;
  const sum = new Float64Array(mean.length);
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const s = gen.sampleAdapter(f, sigma, rng);
    s.adapter.layers[0].a.forEach((v, j) => ((sum[j] += v), (sq += (v - mean[j]) ** 2)));
    if (i === 0) assert.ok(Math.abs(gen.logProb(f, s.adapter, sigma) - s.logProb) < 1e-3 * Math.abs(s.logProb));
  }
  sum.forEach((v, j) => assert.ok(Math.abs(v / n - mean[j]) < (5 * sigma) / Math.sqrt(n), `entry ${j}`));
  const std = Math.sqrt(sq / (n * mean.length));
  assert.ok(Math.abs(std - sigma) < 0.05 * sigma, `std ${std}`);
  assert.throws(() => gen.sampleAdapter(f, 0, rng), /sigma must be a finite number > 0/);
});

test("an untrained generator's update is small, non-zero, query dependent, and scales with initBStd", () => {
  const rng = new Rng(7);
  const f = feature(rng);
  const g = feature(rng);
  const small = new HapsPolicy(smallConfig({ initBStd: 1e-3 })).generator("wide")!;
  const large = new HapsPolicy(smallConfig({ initBStd: 2e-3 })).generator("wide")!;
  const normsSmall = small.deltaNorms(small.generate(f));
  const normsLarge = large.deltaNorms(large.generate(f));
  const bounds = small.initialDeltaNormBound();
  normsSmall.forEach((norm, i) => {
    assert.ok(norm > 0, "the adapter must have an effect");
    assert.ok(norm < 1.5 * bounds[i], `norm ${norm} vs bound ${bounds[i]}`);
    // Same seed: B's weights are exactly twice as large, A unchanged.
    assert.ok(Math.abs(normsLarge[i] / norm - 2) < 1e-4);
  });
  assert.notDeepEqual(small.generate(f).layers[1].b, small.generate(g).layers[1].b);
  assert.notDeepEqual(small.generate(f).layers[1].a, small.generate(g).layers[1].a);
});

test("with a shared trunk a generator step moves the head's trunk; without sharing it does not", () => {
  const rng = new Rng(9);
  const f = feature(rng);
  const shared = new HapsPolicy(smallConfig({ shareTrunk: true }));
  const separate = new HapsPolicy(smallConfig({ shareTrunk: false }));
  // Same starting point: the ablation differs only in sharing.
  assert.deepEqual(shared.head.distribution(f, 0.5), separate.head.distribution(f, 0.5));
  assert.deepEqual(shared.generate("wide", f), separate.generate("wide", f));
  assert.equal(shared.head.trunk, shared.generator("wide")!.trunk);
  assert.notEqual(separate.head.trunk, separate.generator("wide")!.trunk);
  assert.notEqual(separate.generator("wide")!.trunk, separate.generator("narrow")!.trunk);
  assert.ok(separate.parameters().has("head.trunk.0.weight") && separate.parameters().has("generator.narrow.trunk.0.weight"));

  for (const policy of [shared, separate]) {
    const headTrunk = Float32Array.from(policy.head.trunk.mlp.layers[0].weight.data);
    const headOut = policy.head.distribution(f, 0.5);
    const params = policy.parameters();
    const adam = new Adam(params, { lr: 1e-2 });
    const s = policy.sampleAdapter("wide", f, 0.1, rng)!;
    params.zeroGrad();
    policy.backwardAdapter("wide", f, s.noise, 1);
    adam.step();
    const moved = policy.head.trunk.mlp.layers[0].weight.data.some((v, i) => v !== headTrunk[i]);
    const outMoved = JSON.stringify(policy.head.distribution(f, 0.5)) !== JSON.stringify(headOut);
    assert.equal(moved, policy.config.shareTrunk, `shareTrunk ${policy.config.shareTrunk}`);
    assert.equal(outMoved, policy.config.shareTrunk);
  }
});

test("REINFORCE on generated parameters moves the generator towards rewarded adapters", () => {
  const policy = new HapsPolicy(smallConfig());
  const gen = policy.generator("narrow")!;
  const rng = new Rng(10);
  const f = feature(rng);
  const target = gen.sampleAdapter(f, 0.05, new Rng(99)).adapter;
  const distance = (a: LoraAdapter) =>
    a.layers.reduce((s, l, i) => s + l.b.reduce((t, v, j) => t + (v - target.layers[i].b[j]) ** 2, 0), 0);
  const params = new ParameterSet();
  for (const [n, p] of policy.parameters()) if (n.startsWith("trunk.") || n.startsWith("generator.narrow.")) params.add(n, p);
  const adam = new Adam(params, { lr: 3e-3 });
  const start = distance(gen.generate(f));
  for (let t = 0; t < 150; t++) {
    const samples = Array.from({ length: 8 }, () => gen.sampleAdapter(f, 0.02, rng));
    const rewards = samples.map((s) => -distance(s.adapter));
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    params.zeroGrad();
    samples.forEach((s, i) => gen.backwardAdapter(f, s.noise, (rewards[i] - mean) / samples.length));
    adam.step();
  }
  const end = distance(gen.generate(f));
  assert.ok(end < 0.5 * start, `distance ${start} -> ${end}`);
});

test("bad models and mismatched adapters are refused with the model, layer and field named", () => {
  const rng = new Rng(11);
  const trunk = new Trunk(10, rng, { width: 8 });
  const make = (model: GeneratorModel) => new LoraGenerator(model, trunk, { lastLayers: 2, hidden: 4 }, rng);
  assert.throws(() => make({ id: "m", architecture: "llama", blockCount: 4, oProj: oProjOf(3, 6, 8) }), /model "m"\): no o_proj shape for layer 3/);
  assert.throws(() => make({ id: "m", architecture: "llama", blockCount: 1, oProj: oProjOf(1, 6, 8) }), /lastLayers is 2 but the model has only 1 blocks/);
  assert.throws(() => make({ id: "m", architecture: "llama", blockCount: 2, oProj: [{ layer: 0, inWidth: 6, outWidth: 8 }, { layer: 1, inWidth: 0, outWidth: 8 }] }), /layer 1 o_proj inWidth must be a positive integer/);
  assert.throws(() => make({ id: "", architecture: "llama", blockCount: 2, oProj: [] }), /non-empty string id/);
  const policy = new HapsPolicy(smallConfig());
  const f = feature(rng);
  const wide = policy.generate("wide", f)!;
  const narrowGen = policy.generator("narrow")!;
  assert.throws(() => narrowGen.logProb(f, wide, 0.1), /architecture "llama" does not match model "narrow"/);
  const relabelled = { ...wide, architecture: "qwen2" };
  assert.throws(() => narrowGen.logProb(f, relabelled, 0.1), /model "narrow" adapter layer 0 has layer 2, expected 1/);
  assert.throws(() => narrowGen.generate(new Float64Array(9)), /model "narrow"\): feature f: expected width 10, got 9/);
  assert.throws(() => new HapsPolicy(smallConfig({ candidates: [{ id: "x", open: true, architecture: "llama" }] })), /candidate "x" is open but blockCount is undefined/);
});
