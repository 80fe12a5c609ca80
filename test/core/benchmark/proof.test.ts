// The proof's smoke run, as CI runs it: the whole path (benchmark models, action-level data checked against the
// known truth, warm-up, joint RL with and without adapters, static adapters, held-out evaluation of every method at
// every alpha, results.json and report.md), run as `haps proof` runs a whole proof: the shared preparation once, one
// process per seed side by side, then the combined judgement. The learning margins are only required of the full run
// (`npm run proof`), which reads them and its seeds from proof/margins.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadProofMargins, PROOF_ALPHAS, PROOF_METHODS, type ProofResults } from "../../../src/core/benchmark/runProof.ts";
import { haps } from "../cli/hapsProcess.ts";
import { tempDir } from "../runtime/helpers.ts";

test("proof/margins.json is complete, and a margins file with a field missing is refused with its name", async () => {
  const m = await loadProofMargins(path.resolve("proof/margins.json"));
  assert.ok(m.seeds.length >= 3);
  const bad = path.join(tempDir("margins"), "m.json");
  writeFileSync(bad, JSON.stringify({ seeds: [1], vsNoAdapter: 0.1, contextOverStaticBound: 0.1, costRegimeAlpha: 0.8 }));
  await assert.rejects(loadProofMargins(bad), /vsBestFixedStatic: expected a number/);
});

test("the proof's smoke run goes through the whole path, two seeds side by side, and writes its results and report", async () => {
  const dir = tempDir("proof");
  const marginsFile = path.resolve("proof/margins.json");
  const work = path.join(dir, "work");
  const { stderr } = await haps(["proof", "--smoke", "--seeds", "1,2", "--work", work, "--out", path.join(dir, "out"), "--threads", "1"]);
  const results = JSON.parse(readFileSync(path.join(dir, "out", "results.json"), "utf8")) as ProofResults;
  assert.equal(results.smoke, true);
  assert.equal(results.judged, false);
  assert.deepEqual(results.seeds, [1, 2]);
  assert.deepEqual(results.perSeed.map((s) => s.seed), [1, 2]);
  assert.equal(results.processes, 2);
  assert.deepEqual(results.knownTruth.mismatches, []);
  assert.equal(results.knownTruth.rows, 34 * 4);
  assert.deepEqual(results.margins, await loadProofMargins(marginsFile));
  // Prepared once: the action-level rows were run by the preparation alone (a header and 136 rows, not one set per seed).
  const runs = readdirSync(work).filter((f) => f.startsWith("runs-"));
  assert.equal(runs.length, 1, "one run folder, named after the benchmark's files");
  assert.equal(readFileSync(path.join(work, runs[0], "actions.jsonl"), "utf8").trim().split("\n").length, 1 + 34 * 4);
  assert.match(stderr, /action-level data: 136 episodes run/);
  for (const s of [1, 2]) {
    assert.match(stderr, new RegExp(`seed ${s}: done in \\d+ s`));
    const log = readFileSync(path.join(work, `seed-${s}.log`), "utf8");
    assert.doesNotMatch(log, /episodes run/, `seed ${s} found the prepared rows`);
    // A seed process writes its seed's results, not the run's report: its log must not say otherwise.
    assert.match(log, /Partial run: seed results written to /);
    assert.doesNotMatch(log, /Written: .*report\.md/);
    assert.ok(existsSync(path.join(work, runs[0], `seed-${s}`, "haps", "checkpoint", "manifest.json")));
  }
  for (const seed of results.perSeed) {
    for (const alpha of PROOF_ALPHAS) {
      for (const m of PROOF_METHODS) {
        const s = seed.byAlpha[`${alpha}`].methods[m];
        assert.ok(s.quality >= 0 && s.quality <= 1 && Number.isFinite(s.reward), `seed ${seed.seed}: ${m} at alpha ${alpha}`);
      }
    }
    // What the construction fixes, whatever was learned (17 test items: 3 per group of three keywords, 8 context
    // items): the best fixed assignment answers two of the three plain groups at most, oracle routing all three, none
    // the context group without adapters.
    const at0 = seed.byAlpha["0"].methods;
    assert.equal(at0["oracle routing (no adapters)"].quality, 9 / 17);
    assert.equal(at0["best fixed assignment"].quality, 6 / 17);
    assert.equal(at0["oracle routing (no adapters)"].byGroup.context, 0);
    assert.ok(at0["best fixed assignment + static adapter"].byGroup.context <= results.staticAdapterBound, "a static adapter never passes the bound");
    assert.ok(at0["static adapter under HAPS's router"].byGroup.context <= results.staticAdapterBound);
  }
  const report = readFileSync(path.join(dir, "out", "report.md"), "utf8");
  assert.match(report, /Smoke run/);
  assert.match(report, /2 seed processes side by side/);
  assert.match(report, /\| HAPS - best fixed \+ static adapter \(alpha 0\) \|/);
  assert.match(report, /load average/);
});
