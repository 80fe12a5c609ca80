// The evaluation's accounting and statistics on cases whose answers are known: scoreOutcomes' failure accounting,
// summarise, the RouteLLM curve, the bold rule, the tuning's selection, the per-seed splits of `data` specs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FixedBaseline, MlpRouter, RouteLlmMfRouter, type RoutingExample } from "../../../src/core/baselines/index.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { AssignmentTable } from "../../../src/core/evaluation/AssignmentTable.ts";
import { fitBaseline, type BaselineEntry } from "../../../src/core/evaluation/baselineMethods.ts";
import { clearBest, difference } from "../../../src/core/evaluation/comparisons.ts";
import { redrawSplits } from "../../../src/core/evaluation/EvaluationData.ts";
import { routeLlmCurve } from "../../../src/core/evaluation/routeLlmCurve.ts";
import { scoreOutcomes, type ItemOutcome, type MethodScore } from "../../../src/core/evaluation/scoreOutcomes.ts";
import { summarise } from "../../../src/core/evaluation/summarise.ts";
import { describeConfiguration, drawConfigurations, nestConfiguration } from "../../../src/core/evaluation/tuning/searchSpace.ts";
import type { MethodResult, SeedEvaluation } from "../../../src/core/evaluation/types.ts";
import { CostNormalizer } from "../../../src/core/metrics/index.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { example, gaussian } from "../baselines/synthetic.ts";

const config = {
  agents: [{ id: "teacher" }, { id: "student" }],
  candidates: [
    { id: "small", price: { input: 0.1, output: 0.2 }, description: "small model" },
    { id: "wide", price: { input: 1, output: 2 }, description: "wide model" },
  ],
} as unknown as HapsConfig;
const table = new AssignmentTable(config);
const choice = (teacher: string, student: string) => ({ teacher, student });

test("scoreOutcomes: a failure counts as quality 0 at normalised cost 1, costs are clamped, the strong-call share counts chosen items only", () => {
  const normalizer = new CostNormalizer().fit([0, 10]);
  const outcomes: ItemOutcome[] = [
    { item: "a", choice: choice("small", "small"), quality: 1, cost: 0, tokens: { small: { input: 10, output: 2 } } },
    { item: "b", choice: choice("wide", "small"), quality: 0.5, cost: 5, tokens: { small: { input: 5, output: 1 }, wide: { input: 7, output: 3 } } },
    // A failure keeps no quality even if one was recorded.
    { item: "c", choice: null, quality: 1, cost: null, tokens: {}, error: "router crashed" },
    // Above the fitted range: clamped to 1.
    { item: "d", choice: choice("wide", "wide"), quality: 1, cost: 20, tokens: { wide: { input: 1, output: 1 } } },
  ];
  const s = scoreOutcomes(outcomes, normalizer, 0.5, table, new Map([["a", "g1"], ["b", "g1"], ["c", "g2"], ["d", "g2"]]));
  assert.equal(s.items, 4);
  assert.equal(s.quality, 2.5 / 4);
  assert.equal(s.normalisedCost, 2.5 / 4);
  assert.ok(Math.abs(s.reward - (2.5 / 4 - 0.5 * (2.5 / 4))) < 1e-12);
  assert.equal(s.failed, 1);
  assert.deepEqual(s.failures, [{ item: "c", error: "router crashed" }]);
  assert.deepEqual(s.assignments, { "teacher=small, student=small": 1, "teacher=wide, student=small": 1, failed: 1, "teacher=wide, student=wide": 1 });
  // Calls to "wide" over the three items with a choice: 0 + 1 + 2 of 6.
  assert.equal(s.strongCallShare, 0.5);
  assert.deepEqual(s.tokens, { small: { input: 15, output: 3 }, wide: { input: 8, output: 4 } });
  assert.deepEqual(s.perItem, { quality: [1, 0.5, 0, 1], cost: [0, 0.5, 1, 1] });
  assert.deepEqual(s.byGroup, { g1: { items: 2, quality: 0.75 }, g2: { items: 2, quality: 0.5 } });
  // Nothing chosen at all: share 0, not NaN.
  assert.equal(scoreOutcomes([outcomes[2]], normalizer, 0, table).strongCallShare, 0);
  assert.throws(() => scoreOutcomes([], normalizer, 0, table), /no items/);
});

/** A minimal score with per-item qualities (cost 0). */
function scoreOf(quality: number[], failed = 0): MethodScore {
  const q = quality.reduce((a, b) => a + b, 0) / quality.length;
  return { items: quality.length, quality: q, normalisedCost: 0, reward: q, failed, failures: [], assignments: {}, strongCallShare: 0, tokens: {}, perItem: { quality, cost: quality.map(() => 0) } };
}
function seedWith(seed: number, methods: Record<string, number[]>, failed: Record<string, number> = {}): SeedEvaluation {
  return {
    seed,
    splits: { train: [], valid: [], test: [] },
    costNormalizer: { kind: "min-max", min: 0, max: 1, count: 1 },
    methods: Object.entries(methods).map(([name, q]): MethodResult => ({ name, group: "main", kind: name === "Oracle" ? "oracle" : "fixed", adapters: false, scoredFrom: "action rows", weighsCost: false, byAlpha: { "0": scoreOf(q, failed[name] ?? 0) } })),
    routeLlmCurve: null,
    knnComparison: null,
    alphaCheck: null,
    trainings: [],
    tuning: [],
    pareto: [],
    episodesRun: 0,
    seconds: 0,
  };
}

test("summarise: mean and sample standard deviation over seeds, failures summed, a method missing from a seed is an error", () => {
  const perSeed = [seedWith(1, { A: [1, 1, 0, 0], B: [1, 1, 1, 1] }, { A: 1 }), seedWith(2, { A: [1, 1, 1, 1], B: [0, 0, 0, 0] }, { A: 2 })];
  const [a, b] = summarise(perSeed);
  assert.equal(a.name, "A");
  assert.deepEqual(a.byAlpha["0"].quality, { mean: 0.75, std: Math.sqrt(0.125), perSeed: [0.5, 1] });
  assert.equal(a.byAlpha["0"].failed, 3);
  assert.deepEqual(b.byAlpha["0"].quality.perSeed, [1, 0]);
  assert.equal(summarise([seedWith(1, { A: [1] })])[0].byAlpha["0"].quality.std, 0, "one seed: std 0");
  assert.throws(() => summarise([seedWith(1, { A: [1], B: [1] }), seedWith(2, { A: [1] })]), /seed 2 has no result for "B"/);
  assert.deepEqual(summarise([]), []);
});

test("the bold rule: a column's best is marked only when its interval against every other row excludes zero", () => {
  const n = 48;
  const clear = [seedWith(1, { A: new Array(n).fill(1), B: Array.from({ length: n }, (_, i) => i % 2), C: new Array(n).fill(0) })];
  assert.equal(clearBest(clear, summarise(clear), ["A", "B", "C"], 0, "quality"), "A");
  // Lowest cost is best for cost: all costs 0 here, so no clear best.
  assert.equal(clearBest(clear, summarise(clear), ["A", "B", "C"], 0, "normalisedCost"), null);
  // One item of 48 decides: the best mean is not marked.
  const close = [seedWith(1, { A: [1, ...new Array(n - 1).fill(0)], B: new Array(n).fill(0) })];
  assert.equal(clearBest(close, summarise(close), ["A", "B"], 0, "quality"), null);
  const d = difference(close, "A", "B", 0, "quality")!;
  assert.ok(d.interval.estimate > 0 && d.interval.low <= 0);
  assert.equal(d.test.test, "McNemar (exact)");
  assert.equal(d.test.pValue, 1, "one discordant item: exact two-sided p = 1");
  // A single competing row is never marked.
  assert.equal(clearBest(clear, summarise(clear), ["A"], 0, "quality"), null);
});

test("tuning: configuration 0 is the method's own settings, the draws are seeded and inside the space", () => {
  const space = { lr: { log: [1e-4, 1e-2] as const }, dim: { values: [16, 32] } };
  const a = drawConfigurations(space, 5, 1, "m");
  assert.deepEqual(a[0], {});
  assert.equal(a.length, 5);
  assert.deepEqual(drawConfigurations(space, 5, 1, "m"), a);
  assert.notDeepEqual(drawConfigurations(space, 5, 2, "m"), a);
  assert.notDeepEqual(drawConfigurations(space, 5, 1, "other"), a);
  for (const c of a.slice(1)) {
    assert.ok(c.lr >= 1e-4 && c.lr <= 1e-2 && [16, 32].includes(c.dim), JSON.stringify(c));
  }
  assert.equal(describeConfiguration({}), "own settings");
  assert.deepEqual(nestConfiguration({ "rl.lr": 1, "sft.lr": 2, "rl.sigma": 3 }), { rl: { lr: 1, sigma: 3 }, sft: { lr: 2 } });
  assert.throws(() => drawConfigurations({ x: { log: [0, 1] } }, 2, 1, "m"), /m\.x needs a log range/);
  assert.throws(() => nestConfiguration({ lr: 1 }), /names no section/);
});

test("tuning: per cost regime the configuration with the best validation reward is kept; a failed one never, a tie keeps the own settings", () => {
  const space = table.space;
  // Validation: assignment 3 (all wide) is right on every item but costs 1; assignment 0 is right on half, costs 0.
  const valid: RoutingExample[] = Array.from({ length: 8 }, (_, i) => example(`v${i}`, gaussian(new Rng(i), 3), [i % 2, 0, 0, 1], [0, 0.3, 0.6, 1]));
  const entry: BaselineEntry = {
    method: "fixed",
    name: "chooser",
    configurations: [{}, { a: 3 }, { a: 9 }, { a: 0 }],
    build: (c) => new FixedBaseline(c.a ?? 0),
    space: { a: { values: [0, 3, 9] } },
  };
  const f = fitBaseline(entry, { train: valid, valid }, space, 1, [0, 1]);
  // alpha 0: all wide (quality 1) beats all small (0.5). alpha 1: all wide 1 - 1 = 0 < 0.5 - 0; configuration 3 ties 0: 0 kept.
  assert.deepEqual(f.chosen, { "0": 1, "1": 0 });
  assert.ok("error" in f.candidates[2] && /assignment 9 does not exist/.test(f.candidates[2].error));
  assert.equal(f.tuning!.trials[1].validReward["0"], 1);
  assert.equal(f.tuning!.trials[0].validReward["1"], 0.5);
  assert.equal(f.tuning!.selectedOn, "valid");
});

test("tuning: a baseline trained in epochs reports, per cost regime, the checkpoint it kept on validation reward", () => {
  const space = table.space;
  const rng = new Rng(9);
  const make = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => example(`${prefix}${i}`, gaussian(rng, 3, [i % 2 === 0 ? 2 : -2, 0, 0]), i % 2 === 0 ? [1, 0, 0, 1] : [0, 0, 1, 1], [0, 0.3, 0.6, 1]));
  const entry: BaselineEntry = { method: "mlp", name: "MLP router", configurations: [{}, { lr: 3e-3 }], build: (c) => new MlpRouter({ minSteps: 100, ...c }), space: { lr: { log: [1e-3, 1e-2] } } };
  const f = fitBaseline(entry, { train: make(24, "t"), valid: make(12, "v") }, space, 1, [0, 0.8]);
  for (const [i, trial] of f.tuning!.trials.entries()) {
    const kept = (f.candidates[i] as { baseline: MlpRouter }).baseline.checkpointSelection()!.kept;
    for (const a of ["0", "0.8"]) {
      assert.equal(trial.checkpoint![a], `epoch ${kept[a].epoch}, update ${kept[a].step}`);
      // The configuration's validation reward is that of the checkpoint it kept at this alpha.
      assert.ok(Math.abs(trial.validReward[a] - kept[a].validReward) < 1e-12, `${a}: ${trial.validReward[a]} vs ${kept[a].validReward}`);
    }
  }
});

test("RouteLLM curve: from All-Strong to All-Weak, x counted as agent calls, APGR and CPT against the planted gap", () => {
  const rng = new Rng(77);
  const make = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => {
      const e = gaussian(rng, 6);
      const strongWins = e[0] + e[1] > 0 ? 1 : 0;
      // All-Strong answers every item, All-Weak only one half-space; the mixed assignments nothing. A router that sends
      // the other half-space to strong first recovers the whole gap at share 0.5.
      return example(`${prefix}${i}`, e, [1 - strongWins, 0, 0, 1], [0, 0.4, 0.6, 1]);
    });
  const router = new RouteLlmMfRouter({ routing: "pair", dim: 16, minSteps: 300 });
  router.fit(make(300, "t"), make(60, "v"), table.space, { rng: new Rng(5) });
  assert.deepEqual(router.pair, { strong: 3, weak: 0 });
  const test = make(200, "x");
  const c = routeLlmCurve(router, test, table);
  assert.equal(c.strong, "teacher=wide, student=wide");
  assert.equal(c.weak, "teacher=small, student=small");
  const shares = c.points.map((p) => p.strongShare);
  assert.equal(Math.max(...shares), 1);
  assert.equal(Math.min(...shares), 0);
  // Strong and weak are All-Strong and All-Weak: an item sent to strong is two agent calls to the costliest model.
  for (const p of c.points) assert.ok(Math.abs(p.callShare - p.strongShare) < 1e-12);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.equal(c.strongQuality, mean(test.map((e) => e.quality[3])));
  assert.equal(c.weakQuality, mean(test.map((e) => e.quality[0])));
  assert.equal(c.strongQuality, 1);
  // A perfect router: PGR rises linearly to 1 at share ~0.5 and stays there, APGR ~0.75 and CPT(50 %) ~0.25.
  assert.ok(c.apgr != null && c.apgr > 0.65 && c.apgr <= 0.8, `APGR ${c.apgr}`);
  assert.ok(c.cpt["50"] != null && c.cpt["50"]! > 0.15 && c.cpt["50"]! < 0.4, `CPT(50%) ${c.cpt["50"]}`);
  assert.ok(c.cpt["80"]! > c.cpt["50"]!);
});

test("data specs: each seed redraws its split of the loaded items with the same sizes; with split files the test file stays", () => {
  const item = (id: string): TaskItem => ({ id, task: "multiple-choice", question: id, answer: "A" });
  const loaded = { train: ["a", "b", "c", "d", "e", "f"].map(item), valid: ["g", "h"].map(item), test: ["i", "j", "k"].map(item) };
  const ids = (s: { train: TaskItem[]; valid: TaskItem[]; test: TaskItem[] }) => [s.train, s.valid, s.test].map((x) => x.map((i) => i.id));
  const one = redrawSplits(loaded, 1, 0, { fixedTest: false });
  const two = redrawSplits(loaded, 2, 0, { fixedTest: false });
  assert.deepEqual(ids(one).map((x) => x.length), [6, 2, 3]);
  assert.notDeepEqual(ids(one), ids(two));
  assert.deepEqual(ids(one).flat().sort(), "abcdefghijk".split(""));
  assert.deepEqual(ids(redrawSplits(loaded, 1, 0, { fixedTest: false })), ids(one), "seeded");
  // The draw depends on the items, not on the order they were loaded in.
  assert.deepEqual(ids(redrawSplits({ train: [...loaded.train].reverse(), valid: loaded.valid, test: loaded.test }, 1, 0, { fixedTest: false })), ids(one));
  const fixed = redrawSplits(loaded, 1, 0, { fixedTest: true });
  assert.deepEqual(ids(fixed)[2], ["i", "j", "k"]);
  assert.deepEqual([...ids(fixed)[0], ...ids(fixed)[1]].sort(), "abcdefgh".split(""));
});
