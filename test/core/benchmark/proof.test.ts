// The proof's smoke run, as CI runs it: the whole path (benchmark models, action-level data checked against the
// known truth, warm-up, joint RL with and without adapters, static adapters, held-out evaluation of every method at
// every alpha, results.json and report.md) in about a minute. The learning margins are only required of the full run
// (`npm run proof`), which reads them and its seeds from proof/margins.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadProofMargins, PROOF_ALPHAS, PROOF_METHODS, runProof, type ProofResults } from "../../../src/core/benchmark/runProof.ts";
import { tempDir } from "../runtime/helpers.ts";

test("proof/margins.json is complete, and a margins file with a field missing is refused with its name", async () => {
  const m = await loadProofMargins(path.resolve("proof/margins.json"));
  assert.ok(m.seeds.length >= 3);
  const bad = path.join(tempDir("margins"), "m.json");
  writeFileSync(bad, JSON.stringify({ seeds: [1], vsNoAdapter: 0.1, contextOverStaticBound: 0.1, costRegimeAlpha: 0.8 }));
  await assert.rejects(loadProofMargins(bad), /vsBestFixedStatic: expected a number/);
});

test("the proof's smoke run goes through the whole path and writes its results and report", async () => {
  const dir = tempDir("proof");
  const marginsFile = path.resolve("proof/margins.json");
  const results = await runProof({ workDir: path.join(dir, "work"), resultsDir: path.join(dir, "out"), marginsFile, smoke: true, threads: 1 });
  assert.equal(results.smoke, true);
  assert.equal(results.judged, false);
  assert.deepEqual(results.seeds, [1]);
  assert.deepEqual(results.knownTruth.mismatches, []);
  assert.equal(results.knownTruth.rows, 34 * 4);
  assert.deepEqual(results.margins, await loadProofMargins(marginsFile));
  const seed = results.perSeed[0];
  for (const alpha of PROOF_ALPHAS) {
    for (const m of PROOF_METHODS) {
      const s = seed.byAlpha[`${alpha}`].methods[m];
      assert.ok(s.quality >= 0 && s.quality <= 1 && Number.isFinite(s.reward), `${m} at alpha ${alpha}`);
    }
  }
  // What the construction fixes, whatever was learned (17 test items: 3 per group of three keywords, 8 context items):
  // the best fixed assignment answers two of the three plain groups at most, oracle routing all three, none the
  // context group without adapters.
  const at0 = seed.byAlpha["0"].methods;
  assert.equal(at0["oracle routing (no adapters)"].quality, 9 / 17);
  assert.equal(at0["best fixed assignment"].quality, 6 / 17);
  assert.equal(at0["oracle routing (no adapters)"].byGroup.context, 0);
  assert.ok(at0["best fixed assignment + static adapter"].byGroup.context <= results.staticAdapterBound, "a static adapter never passes the bound");
  assert.ok(at0["static adapter under HAPS's router"].byGroup.context <= results.staticAdapterBound);
  const written = JSON.parse(readFileSync(path.join(dir, "out", "results.json"), "utf8")) as ProofResults;
  assert.deepEqual(written.differences, results.differences);
  const report = readFileSync(path.join(dir, "out", "report.md"), "utf8");
  assert.match(report, /Smoke run/);
  assert.match(report, /\| HAPS - best fixed \+ static adapter \(alpha 0\) \|/);
  assert.match(report, /load average/);
  const runs = readdirSync(path.join(dir, "work")).filter((f) => f.startsWith("runs-"));
  assert.equal(runs.length, 1, "one run folder, named after the benchmark's files");
  assert.ok(existsSync(path.join(dir, "work", runs[0], "seed-1", "haps", "checkpoint", "manifest.json")));
});
