import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { KnnRouter } from "../../../src/core/baselines/KnnRouter.ts";
import { MlpRouter } from "../../../src/core/baselines/MlpRouter.ts";
import { StandardizedBaseline } from "../../../src/core/baselines/StandardizedBaseline.ts";
import type { Baseline } from "../../../src/core/baselines/types.ts";
import { bestFor, commonComponentExamples, space } from "./commonComponent.ts";
import { example, gaussian } from "./synthetic.ts";

// Planted truth: four groups on a feature with a large common component and two uninformative outlier dimensions;
// group g is answered only by assignment g, whose normalised cost is COSTS[g].
const train = commonComponentExamples(11, 48, "tr");
const valid = commonComponentExamples(12, 16, "va");
const testSet = commonComponentExamples(13, 64, "te");
const ALPHAS = [0, 0.5, 2];

function accuracy(router: Baseline, alpha: number): number {
  let hits = 0;
  testSet.examples.forEach((ex, i) => {
    if (router.choose(ex, alpha) === bestFor(testSet.groups[i], alpha)) hits++;
  });
  return hits / testSet.examples.length;
}

function fitted(router: Baseline, seed = 3): Baseline {
  router.fit(train.examples, valid.examples, space, { rng: new Rng(seed), alphas: ALPHAS });
  return router;
}

test("kNN router on the standardised feature picks each held-out item's planted best assignment at every alpha", () => {
  const knn = fitted(new StandardizedBaseline(new KnnRouter()));
  for (const alpha of ALPHAS) assert.ok(accuracy(knn, alpha) >= 0.95, `alpha ${alpha}: accuracy ${accuracy(knn, alpha)}`);
  // At alpha 2 the dearest group's item is not worth its cost: the cheapest assignment is chosen instead.
  assert.equal(bestFor(3, 2), 0);
});

test("kNN router on the raw feature is led by the outlier dimensions (why haps eval standardises)", () => {
  const raw = fitted(new KnnRouter());
  assert.ok(accuracy(raw, 0) < 0.6, `raw accuracy ${accuracy(raw, 0)}`);
});

test("MLP router on the standardised feature picks the planted best assignment at every alpha", () => {
  const mlp = new MlpRouter();
  const router = fitted(new StandardizedBaseline(mlp));
  // At alpha 2 group 2 loses to the cheapest by only 0.2 in reward, so a small prediction error flips a few items.
  for (const alpha of ALPHAS) assert.ok(accuracy(router, alpha) >= (alpha === 2 ? 0.9 : 0.95), `alpha ${alpha}: accuracy ${accuracy(router, alpha)}`);
  // The kept checkpoint is the best point of the recorded validation-reward curve at each alpha fitted for (the last on ties).
  const selection = mlp.checkpointSelection()!;
  for (const a of Object.keys(selection.kept)) {
    const best = Math.max(...selection.curve.map((p) => p.validReward[a]));
    assert.equal(selection.kept[a].validReward, best);
    assert.equal([...selection.curve].reverse().find((p) => p.validReward[a] === best)!.epoch, selection.kept[a].epoch);
    assert.ok(selection.kept[a].epoch > 0 && selection.kept[a].step > 0);
  }
});

test("MLP router's predictions are calibrated: predicted quality and cost match the planted ones", () => {
  const mlp = new MlpRouter();
  const router = fitted(new StandardizedBaseline(mlp)) as StandardizedBaseline;
  let gapQ = 0;
  let gapC = 0;
  testSet.examples.forEach((ex) => {
    const p = mlp.predict(router.standardized(ex));
    for (let a = 0; a < 4; a++) {
      gapQ += Math.abs(p.quality[a] - ex.quality[a]) / (4 * testSet.examples.length);
      gapC += Math.abs(p.cost[a] - ex.cost[a]) / (4 * testSet.examples.length);
    }
  });
  assert.ok(gapQ < 0.1 && gapC < 0.05, `mean |Q_hat - Q| ${gapQ}, |C_hat - C| ${gapC}`);
});

test("kNN picks k on validation: label noise that a single neighbour copies makes it average more", () => {
  const rng = new Rng(21);
  // One informative dimension; 30 % of the training labels are flipped to the other assignment.
  const make = (n: number, prefix: string, noisy: boolean) =>
    Array.from({ length: n }, (_, i) => {
      const e = gaussian(rng, 4);
      let good = e[0] > 0 ? 1 : 0;
      if (noisy && rng.uniform() < 0.3) good = 1 - good;
      return example(`${prefix}${i}`, e, [good === 0 ? 1 : 0, good === 1 ? 1 : 0, 0, 0], [0, 0, 0, 0]);
    });
  const knn = new KnnRouter();
  knn.fit(make(200, "tr", true), make(100, "va", false), space, { rng: new Rng(1) });
  assert.ok(knn.k > 1, `k ${knn.k}`);
});

test("kNN and MLP routers: clear errors before fit, on wrong widths and bad options", () => {
  assert.throws(() => new KnnRouter().choose(train.examples[0], 0), /call fit first/);
  assert.throws(() => new MlpRouter().choose(train.examples[0], 0), /call fit first/);
  assert.throws(() => new KnnRouter({ ks: [0] }), /ks must be a non-empty list of positive integers/);
  assert.throws(() => new MlpRouter({ hidden: 0 }), /hidden must be a positive integer/);
  const knn = fitted(new StandardizedBaseline(new KnnRouter()));
  const short = { ...train.examples[0], embedding: new Float32Array(3) };
  assert.throws(() => knn.choose(short, 0), /item "tr0": feature f: expected width 48, got 3/);
  assert.throws(() => knn.choose(train.examples[0], -1), /alpha must be a finite number >= 0/);
  const bad = { ...train.examples[1], quality: [1, 2, 0, 0] };
  assert.throws(() => new KnnRouter().fit([train.examples[0], bad], [], space, { rng: new Rng(1) }), /item 1 \("tr1"\): field quality\[1\].*must be in \[0, 1\]/);
});

test("the same seed gives the same MLP router", () => {
  const a = fitted(new StandardizedBaseline(new MlpRouter()), 9);
  const b = fitted(new StandardizedBaseline(new MlpRouter()), 9);
  assert.deepEqual(testSet.examples.map((ex) => a.choose(ex, 0.5)), testSet.examples.map((ex) => b.choose(ex, 0.5)));
});
