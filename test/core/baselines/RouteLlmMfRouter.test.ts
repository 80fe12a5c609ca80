import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { MatrixFactorization } from "../../../src/core/baselines/MatrixFactorization.ts";
import { RouteLlmMfRouter, pairwiseBattles } from "../../../src/core/baselines/RouteLlmMfRouter.ts";
import { apgr } from "../../../src/core/metrics/routing/routingCurve.ts";
import type { RoutingExample } from "../../../src/core/baselines/types.ts";
import { checkParameterGradients } from "../nn/finiteDifferences.ts";
import { dot, example, gaussian, pairSpace, soloSpace, unitVector } from "./synthetic.ts";

// Two models on one agent; the strong one (m1, dearer) answers exactly the queries on one side of a hyperplane
// through the origin of a 16-d Gaussian embedding space, the weak one (m0) the others.
const WIDTH = 16;
const normal = unitVector(new Rng(100), WIDTH);
function hyperplaneSplit(rng: Rng, n: number, prefix: string): RoutingExample[] {
  return Array.from({ length: n }, (_, i) => {
    const e = gaussian(rng, WIDTH);
    const strongWins = dot(normal, e) > 0 ? 1 : 0;
    return example(`${prefix}${i}`, e, [1 - strongWins, strongWins], [0.1, 0.9]);
  });
}
const data = (() => {
  const rng = new Rng(101);
  return { train: hyperplaneSplit(rng, 1000, "tr"), valid: hyperplaneSplit(rng, 200, "va"), test: hyperplaneSplit(rng, 1000, "te") };
})();
const space = soloSpace(2);
// The card's test is of the original's two-model form.
const router = new RouteLlmMfRouter({ routing: "pair" });
router.fit(data.train, data.valid, space, { rng: new Rng(7) });

test("MF router: strong is the dearer assignment; it recovers a planted hyperplane on held-out queries (accuracy >= 0.9)", () => {
  assert.deepEqual(router.pair, { strong: 1, weak: 0 });
  let correct = 0;
  for (const ex of data.test) if ((router.winProbability(ex, 1, 0) > 0.5) === (ex.quality[1] === 1)) correct++;
  const accuracy = correct / data.test.length;
  assert.ok(accuracy >= 0.9, `held-out accuracy ${accuracy}`);
  // At the default threshold 0.5, choose() routes by the same rule.
  const agree = data.test.filter((ex) => router.choose(ex, 0) === (router.winProbability(ex, 1, 0) >= 0.5 ? 1 : 0)).length;
  assert.equal(agree, data.test.length);
});

test("MF router: swapping the two models gives 1 - p (no bias term anywhere)", () => {
  let largest = 0;
  for (const ex of data.test.slice(0, 200)) {
    const p = router.winProbability(ex, 1, 0);
    largest = Math.max(largest, Math.abs(router.winProbability(ex, 0, 1) - (1 - p)));
  }
  assert.ok(largest <= 1e-15, `largest |p(b,a) - (1 - p(a,b))| = ${largest}`);
  // A zero query has score 0 for every model, so either order is a coin flip.
  const zero = example("zero", new Float32Array(WIDTH), [0, 1], [0.1, 0.9]);
  assert.equal(router.winProbability(zero, 1, 0), 0.5);
});

test("MF router: calibrating to p = 0.3 on 1000 prompts sends 30% +- 0.1% of them to strong", () => {
  const calibrated = new RouteLlmMfRouter({ epochs: 1, minSteps: 0, routing: "pair" });
  calibrated.fit(data.train, data.valid, space, { rng: new Rng(8) });
  const threshold = calibrated.calibrate(data.test, 0.3);
  assert.equal(calibrated.threshold, threshold);
  const strong = data.test.filter((ex) => calibrated.choose(ex, 0) === 1).length / data.test.length;
  assert.ok(Math.abs(strong - 0.3) <= 0.001, `strong share ${strong}`);
  // The strongShare option calibrates on the validation queries at fit.
  const onValid = new RouteLlmMfRouter({ epochs: 1, minSteps: 0, strongShare: 0.5, routing: "pair" });
  onValid.fit(data.train, data.valid, space, { rng: new Rng(8) });
  const validShare = data.valid.filter((ex) => onValid.choose(ex, 0) === 1).length / data.valid.length;
  assert.ok(Math.abs(validShare - 0.5) <= 0.005, `validation strong share ${validShare}`);
});

test("MF router: the threshold sweep runs from all strong to all weak and beats the random line by far", () => {
  // Strong now also answers half of the weak side (ties there), so it is better on average: weak 0.5, strong 0.75.
  // Routing by the planted side reaches quality 1 at half the calls: PGR rises 0 -> 2, then falls to 1 (APGR 1.25).
  const rng = new Rng(102);
  const tied = data.test.map((ex) => (ex.quality[1] === 1 || rng.uniform() < 0.5 ? example(ex.id, ex.embedding, [ex.quality[0], 1], [0.1, 0.9]) : ex));
  const points = router.sweep(tied, 10);
  assert.equal(points.length, 11);
  assert.equal(points[0].strongShare, 1);
  assert.equal(points[10].strongShare, 0);
  for (let i = 1; i < points.length; i++) assert.ok(points[i].strongShare <= points[i - 1].strongShare);
  const weak = tied.reduce((s, ex) => s + ex.quality[0], 0) / tied.length;
  const strong = tied.reduce((s, ex) => s + ex.quality[1], 0) / tied.length;
  assert.ok(strong - weak > 0.2, `strong ${strong}, weak ${weak}`);
  const area = apgr(points, weak, strong);
  assert.ok(area > 1.1 && area < 1.3, `APGR ${area} (random 0.5, planted optimum about 1.25)`);
});

test("MF router: at alpha > 0 the threshold maximises validation reward, so a high price pushes calls to weak", () => {
  const cheap = data.test.filter((ex) => router.choose(ex, 0.2) === 1).length;
  const dear = data.test.filter((ex) => router.choose(ex, 5) === 1).length;
  // Strong costs 0.8 more and wins half the items: at alpha = 5 it never pays, at 0.2 it pays where it wins.
  assert.equal(dear, 0);
  assert.ok(cheap > 300 && cheap < 700, `strong calls at alpha 0.2: ${cheap}`);
});

test("MF router over all assignments (the default): argmax of the predicted win rates; on two models the pair rule at 0.5; a high price picks the cheap one", () => {
  const all = new RouteLlmMfRouter();
  assert.equal(all.name, "RouteLLM (MF)");
  assert.equal(router.name, "RouteLLM (MF, strong/weak)");
  all.fit(data.train, data.valid, space, { rng: new Rng(7) });
  // Same seed, same model: with two assignments the win rate of each is sigma(s_a - s_b), so argmax is the 0.5 rule.
  let same = 0;
  for (const ex of data.test) if (all.choose(ex, 0) === router.choose(ex, 0)) same++;
  assert.ok(same >= data.test.length - 1, `${same} of ${data.test.length} agree`);
  const rates = all.assignmentWinRates(data.test[0]);
  assert.ok(Math.abs(rates[0] + rates[1] - 1) < 1e-12, "two models: the win rates are complementary");
  // Strong costs 0.8 more and wins half the items: at alpha 5 lambda makes the cheap one win everywhere.
  assert.equal(data.test.filter((ex) => all.choose(ex, 5) === 1).length, 0);
  assert.equal(all.lambdaFor(0.01), 0, "a small price changes nothing on validation: the smallest lambda is kept");
  assert.throws(() => new RouteLlmMfRouter({ routing: "both" as "all" }), /option routing must be "all" or "pair"/);
});

test("MF router: battles come from every pair of assignments; ties are dropped", () => {
  const battles = pairwiseBattles([example("a", new Float32Array(2), [0.5, 1, 0.5, 0], [0, 0, 0, 0])]);
  // Pairs (0,1) 1 wins, (0,2) tie, (0,3) 0 wins, (1,2) 1 wins, (1,3) 1 wins, (2,3) 2 wins.
  assert.deepEqual(
    battles.map((b) => [b.win, b.lose]),
    [[1, 0], [0, 3], [1, 2], [1, 3], [2, 3]],
  );
});

test("MF scorer: battle-loss gradients match finite differences, through the row normalisation", () => {
  const rng = new Rng(9);
  const model = new MatrixFactorization(4, 5, 6, rng);
  const xs = Array.from({ length: 3 }, () => rng.fillNormal(new Float64Array(5), 1));
  const battles = [
    { example: 0, win: 1, lose: 0 },
    { example: 1, win: 3, lose: 2 },
    { example: 2, win: 0, lose: 3 },
  ];
  const check = checkParameterGradients(model.namedParameters(), () => model.loss(battles, xs), () => model.backward(battles, xs), rng);
  assert.ok(check.worst <= 1, check.detail);
  assert.ok(check.largest > 0);
});

test("MF router: the same seed gives the same router; two agents route between All Strong and All Weak", () => {
  const rng = new Rng(11);
  const pair = pairSpace();
  const make = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) => {
      const e = gaussian(rng, 4);
      const q = pair.assignments.map((_, a) => (e[a % 4] > 0 ? 1 : 0));
      const cost = pair.assignments.map((a) => 0.1 + 0.4 * (a.choices[0] + a.choices[1]));
      return example(`${prefix}${i}`, e, q, cost);
    });
  const train = make(120, "t");
  const valid = make(30, "v");
  const options = { dim: 8, epochs: 5, minSteps: 0 };
  const a = new RouteLlmMfRouter(options);
  const b = new RouteLlmMfRouter(options);
  const c = new RouteLlmMfRouter(options);
  a.fit(train, valid, pair, { rng: new Rng(3) });
  b.fit(train, valid, pair, { rng: new Rng(3) });
  c.fit(train, valid, pair, { rng: new Rng(4) });
  assert.deepEqual(a.pair, { strong: 3, weak: 0 });
  assert.deepEqual(a.winRates(valid), b.winRates(valid));
  assert.notDeepEqual(a.winRates(valid), c.winRates(valid));
});

test("MF router: bad input is named", () => {
  const fresh = new RouteLlmMfRouter();
  assert.throws(() => fresh.choose(data.test[0], 0), /call fit first/);
  assert.throws(() => new RouteLlmMfRouter({ dim: 0 }), /option dim must be a positive integer/);
  assert.throws(() => router.choose(example("x", new Float32Array(3), [0, 1], [0, 1]), 0), /item "x": field embedding has width 3, the router was fitted on 16/);
  assert.throws(() => router.choose(data.test[0], -1), /alpha must be a finite number >= 0/);
  const bad = [...data.train.slice(0, 3), example("nan", gaussian(new Rng(1), WIDTH), [0, NaN], [0, 1])];
  assert.throws(() => new RouteLlmMfRouter().fit(bad, [], space, { rng: new Rng(1) }), /train: item 3 \("nan"\): field quality\[1\] \(solo=m1\) is not a finite number/);
});
