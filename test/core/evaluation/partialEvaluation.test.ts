// Seeds side by side: partial runs (one seed each) put together by combineEvaluation give the same results as one
// plain run of every seed (per-item scores, summaries, comparisons, fronts; timing aside); combine refuses a missing
// seed or a seed of another spec, naming it; a resumed run keeps the seeds it finished, and in a seed it did not
// finish it does not fit again the baselines and static adapters it had fitted (counted at their entry points).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GraphRouter } from "../../../src/core/baselines/index.ts";
import { parseEvalSpec, type EvalSpec } from "../../../src/core/evaluation/EvalSpec.ts";
import { combineEvaluation, runEvaluation } from "../../../src/core/evaluation/runEvaluation.ts";
import { seedFilePath } from "../../../src/core/evaluation/seedResults.ts";
import type { EvaluationResults } from "../../../src/core/evaluation/types.ts";
import { tempDir } from "../runtime/helpers.ts";

const SPEC = {
  benchmark: { name: "keyword", phrasings: 2, train: 1, valid: 0 },
  seeds: [3, 4],
  alpha: 0,
  alphas: [0, 0.8],
  threads: 1,
  sft: { epochs: 1 },
  rl: { epochs: 1 },
  methods: ["haps", "random", "fixed", "oracle", "graphrouter", "knn", "static-adapter"],
  ablations: { highLevel: false, lowLevel: false, sharing: false, depths: [] },
  baselines: { graphrouter: { epochs: 4, splitsPerEpoch: 2 } },
  // One configuration per method: each HAPS training, static-adapter form and baseline fit runs once per seed (the
  // search itself is tested in runEvaluation.test.ts and evaluationPieces.test.ts); the fronts sweep the cost regimes only.
  tuning: { configurations: 1 },
  paretoAlphas: [0],
};

/**
 * Equal but for the training curves' floating-point noise: a loss summed in another process may differ in its last
 * bit (seen: 0.6642619173108937 vs ...36), so numbers are compared to 1e-12 relative and paths with the output folder
 * named alike; the per-item scores, summaries, comparisons and fronts are compared exactly (below).
 */
function assertClose(actual: unknown, expected: unknown, where: string, rename: (s: string) => string): void {
  if (typeof actual === "number" && typeof expected === "number") {
    assert.ok(actual === expected || Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${where}: ${actual} vs ${expected}`);
  } else if (typeof actual === "string" && typeof expected === "string") {
    assert.equal(rename(actual), rename(expected), where);
  } else if (Array.isArray(actual) && Array.isArray(expected)) {
    assert.equal(actual.length, expected.length, `${where}: length`);
    actual.forEach((a, i) => assertClose(a, expected[i], `${where}[${i}]`, rename));
  } else if (actual != null && expected != null && typeof actual === "object" && typeof expected === "object") {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: keys`);
    for (const k of Object.keys(actual)) assertClose((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${where}.${k}`, rename);
  } else {
    assert.deepEqual(actual, expected, where);
  }
}

/** results.json without what depends on the clock or on how the seeds were run. */
function withoutTiming(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTiming);
  if (value == null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !["seconds", "fitSeconds", "startedAt", "processes", "versions"].includes(k))
      .map(([k, v]) => [k, withoutTiming(v)]),
  );
}

describe("haps eval with seeds side by side (--partial, --combine) and resumed", () => {
  let dir: string;
  let spec: EvalSpec;
  let plain: EvaluationResults;
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);

  before(async () => {
    dir = tempDir("eval-partial");
    spec = await parseEvalSpec(SPEC, path.join(dir, "spec.json"), dir);
    const outcome = await runEvaluation(spec, { outDir: path.join(dir, "plain"), log });
    plain = JSON.parse(readFileSync(outcome.resultsFile, "utf8")) as EvaluationResults;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("partial seeds + combine give the plain run's results", async () => {
    const out = path.join(dir, "partial");
    for (const seed of [4, 3]) {
      const partial = await runEvaluation(spec, { outDir: out, log, partial: { seeds: [seed] } });
      assert.equal(partial.summary, null);
      assert.deepEqual(partial.seedFiles, [seedFilePath(out, seed)]);
      assert.ok(!existsSync(path.join(out, "results.json")), "a partial run writes no results.json");
    }
    const combined = await combineEvaluation(spec, { outDir: out, log });
    const results = JSON.parse(readFileSync(combined.resultsFile, "utf8")) as EvaluationResults;
    assert.deepEqual(results.seeds, [3, 4]);
    assert.ok(results.perSeed.every((s) => s.methods.length > 0));
    // Per item, per method, per cost regime and sweep point: exactly the plain run's.
    assert.deepEqual(withoutTiming(results.perSeed.map((s) => [s.splits, s.costNormalizer, s.methods, s.pareto, s.tuning.filter((t) => t.method !== "haps"), s.routeLlmCurve, s.knnComparison])), withoutTiming(plain.perSeed.map((s) => [s.splits, s.costNormalizer, s.methods, s.pareto, s.tuning.filter((t) => t.method !== "haps"), s.routeLlmCurve, s.knnComparison])));
    assert.deepEqual(withoutTiming([results.summary, results.comparisons, results.pareto]), withoutTiming([plain.summary, plain.comparisons, plain.pareto]));
    assertClose(withoutTiming(results), withoutTiming(plain), "results", (s) => s.split(path.join(dir, "partial")).join(path.join(dir, "plain")));
    assert.ok(existsSync(combined.reportFile) && combined.charts.length > 0);
    assert.match(readFileSync(combined.reportFile, "utf8"), /Seeds 3, 4/);
  });

  test("combine refuses a missing seed, and a seed of another spec, naming it", async () => {
    const out = path.join(dir, "partial");
    const file = seedFilePath(out, 4);
    renameSync(file, `${file}.away`);
    await assert.rejects(combineEvaluation(spec, { outDir: out }), /no result for seed 4 .*--partial --seeds 4/);
    renameSync(`${file}.away`, file);
    const edited = JSON.parse(readFileSync(file, "utf8")) as { specDigest: string };
    writeFileSync(file, JSON.stringify({ ...edited, specDigest: "0000000000000000" }));
    await assert.rejects(combineEvaluation(spec, { outDir: out }), /seed-4\.json: specDigest is "0000000000000000", but this spec's is "[0-9a-f]{16}" \(the seed ran from another spec\)/);
    const other = await parseEvalSpec({ ...SPEC, alphas: [0, 0.5] }, path.join(dir, "spec.json"), dir);
    await assert.rejects(combineEvaluation(other, { outDir: path.join(dir, "plain") }), /seed-3\.json: specDigest .*; .*seed-4\.json: specDigest .*run seeds 3, 4 again/);
    await assert.rejects(runEvaluation(spec, { outDir: out, partial: { seeds: [5] } }), /seed 5 not among the spec's seeds \(3, 4\)/);
  });

  test("a resumed run keeps finished seeds and does not refit finished baselines or static adapters", async () => {
    const out = path.join(dir, "plain");
    // Seed 3 as if the run had been killed after its fits: its seed file is gone, its work folder is there.
    rmSync(seedFilePath(out, 3));
    let graphFits = 0;
    const restore = [count(GraphRouter.prototype, "fit", () => graphFits++)];
    lines.length = 0;
    try {
      const outcome = await runEvaluation(spec, { outDir: out, log });
      const again = JSON.parse(readFileSync(outcome.resultsFile, "utf8")) as EvaluationResults;
      assert.deepEqual(withoutTiming(again), withoutTiming(plain));
    } finally {
      restore.forEach((r) => r());
    }
    const staticTrainings = lines.filter((l) => /static adapters: training configuration/.test(l)).length;
    assert.ok(lines.some((l) => /seed 4: finished before/.test(l)), lines.join("\n"));
    assert.ok(!lines.some((l) => /seed 3: finished before/.test(l)));
    assert.equal(graphFits, 0, "GraphRouter was fitted again");
    // Every baseline of the main table (those scored from action rows) was read back, none fitted.
    const baselines = plain.perSeed[0].methods.filter((m) => m.group === "main" && m.scoredFrom === "action rows").map((m) => m.name);
    assert.ok(baselines.length >= 8);
    for (const name of baselines) assert.ok(lines.some((l) => l.startsWith(`seed 3: ${name} fitted before (`)), `${name} was fitted again:\n${lines.join("\n")}`);
    assert.ok(!lines.some((l) => /^seed 3: .* fitted \(\d+ configuration/.test(l)));
    assert.equal(lines.filter((l) => /^seed 3: Static adapter .*: trained before/.test(l)).length, 2);
    assert.equal(staticTrainings, 0, "static adapters were trained again");
  });
});

function count<T extends object>(proto: T, method: keyof T & string, on: () => void): () => void {
  const original = proto[method] as (...args: unknown[]) => unknown;
  (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    on();
    return original.apply(this, args);
  };
  return () => ((proto as Record<string, unknown>)[method] = original);
}
