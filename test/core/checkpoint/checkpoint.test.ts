import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCheckpoint, saveCheckpoint, MANIFEST_FILE } from "../../../src/core/checkpoint/checkpoint.ts";
import { HapsPolicy } from "../../../src/core/router/HapsPolicy.ts";
import type { HapsPolicyConfig } from "../../../src/core/router/HapsPolicyConfig.ts";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { oProjOf, smallConfig } from "../generator/fixtures.ts";

const HASH = "ab".repeat(32);
const fixture = fileURLToPath(new URL("./fixtures/saveForever.ts", import.meta.url));

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "haps-ckpt-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A policy moved away from its initialisation, so a load that ignored the weights file would be caught. */
function trained(config: HapsPolicyConfig): HapsPolicy {
  const policy = new HapsPolicy(config);
  const rng = new Rng(5);
  const adam = new Adam(policy.parameters(), { lr: 0.05 });
  for (let t = 0; t < 3; t++) {
    const f = rng.fillNormal(new Float64Array(config.featureWidth));
    policy.parameters().zeroGrad();
    policy.head.backwardRegression(f, [{ choices: [1, 0], quality: 1, cost: 0.5 }]);
    for (const id of ["wide", "narrow"]) policy.backwardAdapter(id, f, policy.sampleAdapter(id, f, 0.1, rng)!.noise, 1);
    adam.step();
  }
  return policy;
}

function outputs(policy: HapsPolicy, f: Float64Array) {
  return { head: policy.head.distribution(f, 0.4), wide: policy.generate("wide", f), narrow: policy.generate("narrow", f) };
}

for (const shareTrunk of [true, false]) {
  test(`save then load reproduces every output bit for bit (shareTrunk ${shareTrunk})`, async () => {
    await withDir(async (dir) => {
      const config = smallConfig({ shareTrunk });
      const policy = trained(config);
      await saveCheckpoint(policy, dir, { extra: { costStats: { min: 0.1, max: 3 } } });
      const { policy: loaded, manifest } = await loadCheckpoint(dir, config);
      const f = new Rng(8).fillNormal(new Float64Array(config.featureWidth));
      assert.deepEqual(outputs(loaded, f), outputs(policy, f));
      // The weights really came from the file: a fresh policy of the same seed differs.
      assert.notDeepEqual(outputs(new HapsPolicy(config), f), outputs(policy, f));
      assert.deepEqual(manifest.extra, { costStats: { min: 0.1, max: 3 } });
      assert.deepEqual(loaded.parameters().names(), policy.parameters().names());
    });
  });
}

test("the manifest records format, models with open flags and widths, agents, hyperparameters, seed and date", async () => {
  await withDir(async (dir) => {
    const config = smallConfig({ candidates: [...smallConfig().candidates.slice(0, 2).map((c, i) => (i === 0 ? { ...c, sha256: HASH } : c)), { id: "api", open: false }] });
    const created = new Date("2026-01-02T03:04:05Z");
    await saveCheckpoint(new HapsPolicy(config), dir, { created });
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8"));
    assert.equal(manifest.format, "haps-router-checkpoint");
    assert.equal(manifest.formatVersion, 2);
    assert.equal(manifest.hyperparameters.factorization, "joint");
    assert.equal(manifest.created, created.toISOString());
    assert.equal(manifest.seed, 11);
    assert.deepEqual(manifest.agents, ["student", "teacher"]);
    assert.deepEqual(manifest.candidates.map((c: { id: string; open: boolean }) => [c.id, c.open]), [["wide", true], ["narrow", true], ["api", false]]);
    assert.equal(manifest.candidates[0].sha256, HASH);
    assert.deepEqual(manifest.candidates[1].oProj, oProjOf(3, 6, 8));
    assert.deepEqual(
      [manifest.hyperparameters.featureWidth, manifest.hyperparameters.trunkWidth, manifest.hyperparameters.hidden, manifest.hyperparameters.rank, manifest.hyperparameters.lastLayers, manifest.hyperparameters.loraAlpha],
      [10, 8, 7, 3, 2, 3],
    );
    assert.match(manifest.weights.file, /^weights-[0-9a-f]{16}\.safetensors$/);
    assert.equal(manifest.weights.file.slice(8, 24), manifest.weights.sha256.slice(0, 16));
    assert.match(manifest.weights.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(manifest.extra, {});
  });
});

test("loading against other models, widths or hyperparameters is refused, naming the model and the field", async () => {
  await withDir(async (dir) => {
    const base = smallConfig();
    await saveCheckpoint(new HapsPolicy({ ...base, candidates: base.candidates.map((c) => (c.id === "wide" ? { ...c, sha256: HASH } : c)) }), dir);
    const cands = base.candidates;
    const cases: [string, HapsPolicyConfig, RegExp][] = [
      ["wider o_proj", { ...base, candidates: [{ ...cands[0], oProj: [...oProjOf(3, 12, 10), { layer: 3, inWidth: 16, outWidth: 10 }] }, cands[1], cands[2]] }, /model "wide": layer 3 o_proj inWidth is 12 in the checkpoint, 16 in the configuration/],
      ["other residual width", { ...base, candidates: [cands[0], { ...cands[1], oProj: oProjOf(3, 6, 9) }, cands[2]] }, /model "narrow": layer 1 o_proj outWidth is 8 in the checkpoint, 9 in the configuration/],
      ["a new model", { ...base, candidates: [...cands, { id: "extra", open: false }] }, /model "extra" is not in the checkpoint/],
      ["a dropped model", { ...base, candidates: cands.slice(0, 2) }, /model "api" is in the checkpoint but not in the configuration/],
      ["reordered", { ...base, candidates: [cands[1], cands[0], cands[2]] }, /candidates are ordered \[wide, narrow, api\] in the checkpoint, \[narrow, wide, api\]/],
      ["closed now", { ...base, candidates: [cands[0], { id: "narrow", open: false }, cands[2]] }, /model "narrow" is open in the checkpoint, closed in the configuration/],
      ["other file", { ...base, candidates: [{ ...cands[0], sha256: "cd".repeat(32) }, cands[1], cands[2]] }, /model "wide": file sha256 is abab.* in the checkpoint, cdcd.* in the configuration/],
      ["other architecture", { ...base, candidates: [{ ...cands[0], architecture: "gemma" }, cands[1], cands[2]] }, /model "wide": architecture is "llama" in the checkpoint, "gemma"/],
      ["rank", { ...base, rank: 4 }, /rank is 3 in the checkpoint, 4 in the configuration/],
      ["k", { ...base, lastLayers: 1 }, /lastLayers is 2 in the checkpoint, 1 in the configuration/],
      ["d", { ...base, featureWidth: 11 }, /featureWidth is 10 in the checkpoint, 11/],
      ["sharing", { ...base, shareTrunk: false }, /shareTrunk is true in the checkpoint, false/],
      ["agents", { ...base, agents: ["student"] }, /agents are \[student, teacher\] in the checkpoint, \[student\]/],
    ];
    for (const [label, config, message] of cases) {
      await assert.rejects(loadCheckpoint(dir, config), message, label);
    }
    // Temperature is a decoding setting: a different one loads and is used.
    const { policy } = await loadCheckpoint(dir, { ...base, candidates: base.candidates.map((c) => (c.id === "wide" ? { ...c, sha256: HASH } : c)), temperature: 0.25 });
    assert.equal(policy.head.temperature, 0.25);
    // Without a configuration the checkpoint's own is used.
    assert.equal((await loadCheckpoint(dir)).policy.head.temperature, 1);
  });
});

test("damaged, foreign or missing checkpoints are refused with the file named", async () => {
  await withDir(async (dir) => {
    await assert.rejects(loadCheckpoint(dir), /Cannot read checkpoint manifest .*manifest\.json: ENOENT/);
    const policy = new HapsPolicy(smallConfig());
    await saveCheckpoint(policy, dir);
    const weightsPath = path.join(dir, JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8")).weights.file);
    const manifestPath = path.join(dir, MANIFEST_FILE);
    const weights = await readFile(weightsPath);
    const manifestText = await readFile(manifestPath, "utf8");

    const tampered = Buffer.from(weights);
    tampered[tampered.length - 1] ^= 1;
    await writeFile(weightsPath, tampered);
    await assert.rejects(loadCheckpoint(dir), /weights-[0-9a-f]+\.safetensors: sha256 [0-9a-f]+ does not match the manifest/);
    await writeFile(weightsPath, weights);

    const manifest = JSON.parse(manifestText);
    await writeFile(manifestPath, JSON.stringify({ ...manifest, formatVersion: 3 }));
    await assert.rejects(loadCheckpoint(dir), /checkpoint format version 3 is newer than this reader \(2\)/);
    await writeFile(manifestPath, JSON.stringify({ ...manifest, formatVersion: 1 }));
    await assert.rejects(loadCheckpoint(dir), /checkpoint format version 1 predates the joint router head .* train it again with `haps train`/);
    await writeFile(manifestPath, JSON.stringify({ ...manifest, hyperparameters: { ...manifest.hyperparameters, rank: "8" } }));
    await assert.rejects(loadCheckpoint(dir), /invalid checkpoint manifest\n {2}hyperparameters\.rank:/);
    await writeFile(manifestPath, JSON.stringify({ ...manifest, weights: { ...manifest.weights, file: "../elsewhere.safetensors" } }));
    await assert.rejects(loadCheckpoint(dir), /weights\.file must be a file name inside the checkpoint directory/);
    await writeFile(manifestPath, "{ not json");
    await assert.rejects(loadCheckpoint(dir), /manifest\.json: not valid JSON/);
    // A manifest claiming a bigger trunk than the weights hold.
    await writeFile(manifestPath, JSON.stringify({ ...manifest, hyperparameters: { ...manifest.hyperparameters, trunkWidth: 9 } }));
    await assert.rejects(loadCheckpoint(dir), /tensor "trunk\.0\.weight" has shape \[8, 10\], the policy needs \[9, 10\]/);
  });
});

test("saveCheckpoint refuses extra data that is not a JSON object", async () => {
  await withDir(async (dir) => {
    const policy = new HapsPolicy(smallConfig());
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(saveCheckpoint(policy, dir, { extra: cyclic }), /extra is not JSON-serialisable/);
    await assert.rejects(saveCheckpoint(policy, dir, { extra: [] as unknown as Record<string, unknown> }), /extra must be a plain object/);
  });
});

test("a later save replaces the checkpoint and removes the weights no manifest names", async () => {
  await withDir(async (dir) => {
    const policy = new HapsPolicy(smallConfig());
    const first = await saveCheckpoint(policy, dir);
    for (const [, p] of policy.parameters()) p.data[0] += 1;
    const second = await saveCheckpoint(policy, dir);
    assert.notEqual(second.weights.file, first.weights.file);
    assert.deepEqual((await readdir(dir)).sort(), [MANIFEST_FILE, second.weights.file].sort());
  });
});

test("a process killed (SIGKILL) while saving leaves a complete checkpoint, the previous or the new one", async () => {
  await withDir(async (dir) => {
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", fixture, dir], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      // Let it save a few hundred times, then kill it wherever it is.
      await new Promise((r) => setTimeout(r, 150 + 97 * round));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      const { policy, manifest } = await loadCheckpoint(dir);
      const version = (manifest.extra as { version: number }).version;
      assert.ok(version >= 1);
      for (const [name, p] of policy.parameters()) assert.ok(p.data.every((v) => v === version), `${name} holds another save's weights`);
    }
  });
});

test("a checkpoint records the router feature it was trained on and is refused for another", async () => {
  await withDir(async (dir) => {
    const layer2 = smallConfig({ feature: { source: "layer-input", layer: 2 } });
    const policy = trained(layer2);
    await saveCheckpoint(policy, dir);
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8"));
    assert.deepEqual(manifest.feature, { source: "layer-input", layer: 2 });
    // The same kind loads, with the same outputs.
    const { policy: loaded } = await loadCheckpoint(dir, layer2);
    assert.deepEqual(loaded.config.feature, { source: "layer-input", layer: 2 });
    const f = new Rng(8).fillNormal(new Float64Array(layer2.featureWidth));
    assert.deepEqual(outputs(loaded, f), outputs(policy, f));
    // The output feature, and another layer, are refused, naming both kinds and the setting.
    await assert.rejects(loadCheckpoint(dir, smallConfig()), /router feature is layer-input 2 .* in the checkpoint, output .* in the configuration \(router\.feature\)/);
    await assert.rejects(loadCheckpoint(dir, smallConfig({ feature: { source: "layer-input", layer: 1 } })), /layer-input 2 .* in the checkpoint, layer-input 1 .* in the configuration/);
  });
});

test("a checkpoint written before feature kinds were recorded reads as the output feature", async () => {
  await withDir(async (dir) => {
    const config = smallConfig();
    await saveCheckpoint(trained(config), dir);
    const file = path.join(dir, MANIFEST_FILE);
    const manifest = JSON.parse(await readFile(file, "utf8"));
    assert.deepEqual(manifest.feature, { source: "output" });
    delete manifest.feature;
    await writeFile(file, JSON.stringify(manifest));
    assert.deepEqual((await loadCheckpoint(dir, config)).policy.config.feature, { source: "output" });
    await assert.rejects(loadCheckpoint(dir, smallConfig({ feature: { source: "layer-input", layer: 0 } })), /router feature is output .* in the checkpoint, layer-input 0/);
    // A malformed kind is refused by the manifest's schema, naming the field.
    manifest.feature = { source: "layer-input", layer: -1 };
    await writeFile(file, JSON.stringify(manifest));
    await assert.rejects(loadCheckpoint(dir, config), /feature/);
  });
});
