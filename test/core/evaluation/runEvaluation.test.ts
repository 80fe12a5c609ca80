// The evaluation end to end on a tiny cut of the keyword benchmark (real models, real episodes, real trainings): every
// method and ablation gets its numbers; the figures the construction fixes come out (each fixed assignment's and oracle
// routing's share of the items and groups without adapters, and no method without adapters beats the oracle);
// every trainer and baseline saw only the training and validation items of the same splits; the report, results and
// SVG charts are well-formed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { FixedBaseline, GraphRouter, IrtRouter, KnnRouter, MlpRouter, OracleBaseline, RandomBaseline, RouteLlmMfRouter, type RoutingExample } from "../../../src/core/baselines/index.ts";
import { benchmarkItems, stratifiedSplits } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { parseEvalSpec } from "../../../src/core/evaluation/EvalSpec.ts";
import { runEvaluation } from "../../../src/core/evaluation/runEvaluation.ts";
import type { EvaluationOutcome, EvaluationResults, MethodResult } from "../../../src/core/evaluation/types.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { TrainingSession } from "../../../src/core/training/Trainer.ts";
import { tempDir } from "../runtime/helpers.ts";

const SEED = 3;
const SPEC = {
  benchmark: { name: "keyword", phrasings: 2, train: 1, valid: 0 },
  seeds: [SEED],
  alpha: 0,
  alphas: [0, 0.5, 0.8],
  threads: 1,
  sft: { epochs: 5 },
  // No RL steps: joint RL is exercised by the training tests; here each training is warm-up plus RL's first validation,
  // which writes the checkpoint the evaluation loads (the warm-started router, untrained generators).
  rl: { epochs: 0 },
  ablations: { depths: [1, 2] },
  baselines: { routellm: { epochs: 1, minSteps: 20 }, graphrouter: { epochs: 10, splitsPerEpoch: 4 }, irt: { epochs: 1, minSteps: 20 }, mlp: { minSteps: 200 } },
  // Two configurations per learned method (HAPS included) and a short sweep: the machinery, not the figures.
  tuning: { configurations: 2 },
  paretoAlphas: [0, 1],
};

// What the trainers and the baselines were actually given, recorded at their entry points.
const seen: { who: string; items: string[] }[] = [];
const restore: (() => void)[] = [];
function record<T extends object>(proto: T, method: keyof T & string, who: string, ids: (args: unknown[]) => string[]) {
  const original = proto[method] as (...args: unknown[]) => unknown;
  (proto as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    seen.push({ who, items: ids(args) });
    return original.apply(this, args);
  };
  restore.push(() => ((proto as Record<string, unknown>)[method] = original));
}

describe("haps eval on a tiny keyword benchmark", () => {
  let dir: string;
  let outcome: EvaluationOutcome;
  let results: EvaluationResults;
  const method = (name: string): MethodResult => {
    const m = results.perSeed[0].methods.find((x) => x.name === name);
    assert.ok(m, `no result for ${name}`);
    return m;
  };

  before(async () => {
    record(TrainingSession.prototype, "trainSeed", "trainSeed", (args) => {
      const split = args[1] as { train: TaskItem[]; valid: TaskItem[] };
      return [...split.train, ...split.valid].map((i) => i.id);
    });
    for (const [name, proto] of Object.entries({ RandomBaseline, FixedBaseline, OracleBaseline, RouteLlmMfRouter, GraphRouter, IrtRouter, KnnRouter, MlpRouter }).map(([n, c]) => [n, c.prototype] as const)) {
      record(proto, "fit", name, (args) => [...(args[0] as RoutingExample[]), ...(args[1] as RoutingExample[])].map((e) => e.id));
    }
    dir = tempDir("eval");
    outcome = await runEvaluation(await parseEvalSpec(SPEC, "tiny spec", dir), { outDir: path.join(dir, "out") });
    results = JSON.parse(readFileSync(outcome.resultsFile, "utf8")) as EvaluationResults;
  });
  after(() => restore.forEach((r) => r()));

  test("every method and ablation has its numbers, on the same test items", () => {
    const s = results.perSeed[0];
    const expected = stratifiedSplits(benchmarkItems().filter((i) => Number(i.id.split("-").at(-1)) < 2), SEED, { train: 1, valid: 0 });
    assert.deepEqual(s.splits.test, expected.test.map((i) => i.id), "the seed's stratified split");
    assert.deepEqual(s.splits.train, expected.train.map((i) => i.id));
    assert.equal(s.splits.test.length, 17, "one phrasing of each of 9 keywords and of both Latin quadruples (4 items each)");
    const names = s.methods.map((m) => m.name);
    for (const name of ["HAPS", "Static adapter (HAPS's router)", "Random", "Oracle", "RouteLLM (MF)", "RouteLLM (MF, strong/weak)", "GraphRouter", "IRT-Router (MIRT)", "kNN router", "MLP router", "w/o high-level (random)", "w/o low-level router", "w/o parameter sharing", "LoRA depth k=1", "LoRA depth k=2"]) {
      assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
    }
    assert.equal(names.filter((n) => n.startsWith("Fixed (")).length, 4);
    assert.equal(names.filter((n) => n.startsWith("w/o high-level (fixed: ")).length, 4);
    for (const m of s.methods) {
      const alphas = m.group === "main" ? ["0", "0.5", "0.8"] : ["0"];
      assert.deepEqual(Object.keys(m.byAlpha), alphas, m.name);
      for (const score of Object.values(m.byAlpha)) {
        assert.equal(score.items, 17, `${m.name}: every test item, none skipped`);
        assert.equal(Object.values(score.assignments).reduce((a, b) => a + b, 0), 17);
        assert.ok(score.quality >= 0 && score.quality <= 1 && Number.isFinite(score.reward), m.name);
        assert.equal(score.failed, 0, `${m.name}: ${JSON.stringify(score.failures)}`);
        assert.equal(score.perItem.quality.length, 17, `${m.name}: a score per test item`);
      }
    }
    assert.equal(method("HAPS").scoredFrom, "episodes");
    assert.equal(method("Oracle").scoredFrom, "action rows");
    assert.ok(s.episodesRun > 0);
    // HAPS at another regime is the same trained router deciding at that alpha: its mix may change, its training not.
    assert.equal(s.trainings.filter((t) => t.name === "HAPS").length, 1);
    assert.deepEqual(results.knownTruth?.mismatches, []);
  });

  test("the figures the construction fixes", () => {
    // 17 test items: 3 each of the small, wide and review groups, 8 of the context group (keywordBenchmark.ts).
    const fixed = Object.fromEntries(results.perSeed[0].methods.filter((x) => x.kind === "fixed").map((m) => [m.name, m.byAlpha["0"].quality]));
    assert.deepEqual(fixed, {
      "Fixed (teacher=small, student=small)": 3 / 17,
      "Fixed (teacher=small, student=wide)": 6 / 17,
      "Fixed (teacher=wide, student=small)": 6 / 17,
      "Fixed (teacher=wide, student=wide)": 6 / 17,
    });
    assert.equal(method("Oracle").byAlpha["0"].quality, 9 / 17);
    // By group: a Student answers what its model knows, a wide Teacher or Student the review group; no routing
    // answers the context group without adapters.
    const group = (name: string) => Object.fromEntries(Object.entries(method(name).byAlpha["0"].byGroup!).map(([g, v]) => [g, v.quality]));
    assert.deepEqual(group("Fixed (teacher=wide, student=small)"), { small: 1, wide: 0, review: 1, context: 0 });
    assert.deepEqual(group("Fixed (teacher=small, student=wide)"), { small: 0, wide: 1, review: 1, context: 0 });
    assert.deepEqual(group("Fixed (teacher=small, student=small)"), { small: 1, wide: 0, review: 0, context: 0 });
    assert.deepEqual(group("Oracle"), { small: 1, wide: 1, review: 1, context: 0 });
    const noAdapter = results.perSeed[0].methods.filter((m) => !m.adapters);
    assert.ok(noAdapter.length >= 8);
    for (const m of noAdapter) {
      for (const [a, score] of Object.entries(m.byAlpha)) {
        assert.ok(method("Oracle").byAlpha[a].reward >= score.reward - 1e-12, `oracle >= ${m.name} at alpha ${a}`);
      }
    }
    // Reward is quality - alpha * normalised cost, the same accounting for every method.
    for (const m of results.perSeed[0].methods) for (const [a, s] of Object.entries(m.byAlpha)) assert.ok(Math.abs(s.reward - (s.quality - Number(a) * s.normalisedCost)) < 1e-9, m.name);
  });

  test("no trainer or baseline was given a test item; all of them the same training split", () => {
    const s = results.perSeed[0];
    const test = new Set(s.splits.test);
    const train = [...s.splits.train, ...s.splits.valid].sort();
    assert.ok(seen.filter((x) => x.who === "trainSeed").length >= 4, "HAPS, w/o low-level, w/o sharing, depth 2");
    for (const who of ["RandomBaseline", "FixedBaseline", "OracleBaseline", "RouteLlmMfRouter", "GraphRouter", "IrtRouter", "KnnRouter", "MlpRouter"]) assert.ok(seen.some((x) => x.who === who), `${who} was fitted`);
    for (const { who, items } of seen) {
      assert.deepEqual(items.filter((i) => test.has(i)), [], `${who} saw test items`);
      assert.deepEqual([...new Set(items)].sort(), train, `${who} got the seed's training split`);
    }
    // The cost scale was fitted on the training rows only: one cost per training item and assignment.
    assert.equal(s.costNormalizer.count, s.splits.train.length * 4);
  });

  test("every learned method had the same search; the fronts, intervals and tests are there", () => {
    const s = results.perSeed[0];
    const searched = s.tuning.map((t) => t.method).sort();
    // The static-adapter baseline's two forms (under HAPS's router, on the best fixed assignment) search alike.
    assert.deepEqual(searched, ["graphrouter", "haps", "irt", "knn", "mlp", "routellm", "routellm-pair", "static-adapter", "static-adapter"]);
    for (const t of s.tuning) {
      assert.equal(t.trials.length, 2, t.name);
      assert.deepEqual(t.trials[0].configuration, {}, `${t.name}: configuration 0 is its own settings`);
      assert.ok(Object.keys(t.trials[1].configuration).length > 0, `${t.name}: configuration 1 is drawn`);
      assert.equal(t.selectedOn, "train", "the tiny split has no validation items");
      for (const k of Object.values(t.chosen)) assert.ok(k === 0 || k === 1);
    }
    // HAPS's drawn configuration was trained too, and HAPS is the kept one.
    assert.ok(s.trainings.some((t) => t.name === "HAPS (configuration 1)"));
    const swept = s.pareto.filter((p) => p.points.length > 1).map((p) => p.name);
    for (const name of ["HAPS", "RouteLLM (MF)", "GraphRouter", "IRT-Router (MIRT)", "kNN router", "MLP router"]) assert.ok(swept.includes(name), `${name} swept`);
    // A front over the swept alphas and the regimes'; the static-adapter baseline's over the regimes' only (it runs
    // episodes per alpha, as it is scored).
    for (const p of s.pareto.filter((x) => x.points.length > 1)) assert.deepEqual(p.points.map((x) => x.alpha), p.kind === "static-adapter" ? [0, 0.5, 0.8] : [0, 0.5, 0.8, 1], p.name);
    assert.equal(results.pareto.length, s.pareto.length);
    for (const p of results.pareto) assert.ok(p.area >= 0 && p.area <= 1 && p.front.length >= 1, p.name);
    const c = results.comparisons;
    assert.equal(c.level, 0.95);
    assert.ok(c.bestBaseline["0"] != null);
    const hapsVsBest = c.vsBestBaseline.find((d) => d.a === "HAPS" && d.alpha === 0 && d.measure === "quality");
    assert.ok(hapsVsBest && hapsVsBest.interval.low <= hapsVsBest.interval.estimate && hapsVsBest.interval.estimate <= hapsVsBest.interval.high);
    assert.ok(c.regret.some((d) => d.b === "HAPS"));
    assert.ok(results.overhead.routerPromptTokens > 0 && results.overhead.rawCostPerItem > 0);
  });

  test("report, results and charts are well-formed", () => {
    const report = readFileSync(outcome.reportFile, "utf8");
    for (const heading of ["## Main results (alpha = 0)", "## Differences and their uncertainty", "### Regret to the Oracle", "## Cost-quality Pareto fronts", "## Tuning", "## Ablations (alpha = 0)", "## Cost regimes", "## Quality by keyword group (alpha = 0)", "## RouteLLM-style curve", "## LoRA depth", "## Training", "## Methods and how they were adapted"]) assert.ok(report.includes(heading), heading);
    assert.match(report, /\*\*Bold\*\* marks the best value of a column .* only where it is clearly best/, "the bold rule is stated");
    assert.match(report, /clamped to \[0, 1\]/, "the clamp is stated");
    assert.match(report, /Measured order of mean quality: HAPS /);
    assert.equal(results.format, "haps-evaluation/1");
    assert.match(results.versions.nodeLlamaCpp, /^3\.21\.1$/);
    assert.equal(typeof results.versions.package, "string");
    assert.deepEqual(outcome.charts.map((c) => c.name), ["quality-cost", "pareto", "routing-curve", "lora-depth", "training-curves"]);
    const parser = new XMLParser({ ignoreAttributes: false });
    for (const chart of outcome.charts) {
      const svg = readFileSync(chart.file, "utf8");
      assert.equal(XMLValidator.validate(svg), true, `${chart.name} is well-formed XML`);
      const root = parser.parse(svg).svg;
      assert.ok(root, `${chart.name} has an <svg> root`);
      assert.ok(Number(root["@_width"]) > 200 && Number(root["@_height"]) > 200, chart.name);
      assert.ok(svg.includes("quality") || svg.includes("validation reward"), `${chart.name} has its axis title`);
      assert.ok(report.includes(`](${path.basename(chart.file)})`), `the report shows ${chart.name}`);
    }
    assert.equal(outcome.summary.methods.length, results.summary.length);
  });
});
