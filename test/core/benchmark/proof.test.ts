// The proof's smoke run, as CI runs it: the whole path (benchmark models, action-level data checked against the
// known truth, warm-up, joint RL with and without adapters, held-out evaluation of every method, results.json and
// report.md) in seconds. The learning margins are only required of the full run (`npm run proof`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PROOF_MARGINS, PROOF_METHODS, runProof, type ProofResults } from "../../../src/core/benchmark/runProof.ts";
import { tempDir } from "../runtime/helpers.ts";

test("the proof's smoke run goes through the whole path and writes its results and report", async () => {
  const dir = tempDir("proof");
  const results = await runProof({ workDir: path.join(dir, "work"), resultsDir: path.join(dir, "out"), smoke: true, threads: 1 });
  assert.equal(results.smoke, true);
  assert.deepEqual(results.seeds, [1]);
  assert.deepEqual(results.knownTruth.mismatches, []);
  assert.equal(results.knownTruth.rows, 24 * 4);
  assert.deepEqual(results.margins, PROOF_MARGINS);
  const seed = results.perSeed[0];
  for (const m of PROOF_METHODS) {
    const s = seed.methods[m];
    assert.ok(s.quality >= 0 && s.quality <= 1 && Number.isFinite(s.reward), m);
  }
  // What the construction fixes, whatever was learned: a fixed assignment answers half, oracle routing three quarters.
  assert.equal(seed.methods["best fixed assignment"].quality, 0.5);
  assert.equal(seed.methods["oracle routing (no adapters)"].quality, 0.75);
  assert.equal(seed.methods["random routing"].quality, 0.5);
  const written = JSON.parse(readFileSync(path.join(dir, "out", "results.json"), "utf8")) as ProofResults;
  assert.deepEqual(written.differences, results.differences);
  const report = readFileSync(path.join(dir, "out", "report.md"), "utf8");
  assert.match(report, /Smoke run/);
  assert.match(report, /\| HAPS - best fixed \|/);
  const runs = readdirSync(path.join(dir, "work")).filter((f) => f.startsWith("runs-"));
  assert.equal(runs.length, 1, "one run folder, named after the benchmark's files");
  assert.ok(existsSync(path.join(dir, "work", runs[0], "seed-1", "haps", "checkpoint", "manifest.json")));
  // A second run on the same benchmark resumes in the same folder (its action-level data is reused).
  await runProof({ workDir: path.join(dir, "work"), resultsDir: path.join(dir, "out2"), smoke: true, threads: 1 });
  assert.deepEqual(readdirSync(path.join(dir, "work")).filter((f) => f.startsWith("runs-")), runs);
});
