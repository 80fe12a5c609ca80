import { test } from "node:test";
import assert from "node:assert/strict";
import { episodeCost } from "../../../src/core/metrics/cost/episodeCost.ts";
import { CostNormalizer } from "../../../src/core/metrics/cost/CostNormalizer.ts";
import { reward } from "../../../src/core/metrics/reward/reward.ts";

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

test("episodeCost sums input and output prices per million over models", () => {
  // (1000 * 0.5 + 500 * 1.5 + 2e6 * 0.1 + 0 * 0.2) / 1e6 = 201250 / 1e6.
  const cost = episodeCost(
    { student: { input: 1000, output: 500 }, teacher: { input: 2_000_000, output: 0 } },
    { student: { input: 0.5, output: 1.5 }, teacher: { input: 0.1, output: 0.2 } },
  );
  close(cost, 0.20125);
  assert.equal(episodeCost({}, {}), 0);
});

test("episodeCost names the model with no price and rejects bad counts", () => {
  assert.throws(() => episodeCost({ teacher: { input: 10, output: 1 } }, {}), /no price for model "teacher"/);
  assert.equal(episodeCost({ teacher: { input: 0, output: 0 } }, {}), 0);
  assert.throws(
    () => episodeCost({ student: { input: -1, output: 0 } }, { student: { input: 1, output: 1 } }),
    /tokens of "student"\.input must be a finite number >= 0, got -1/,
  );
  assert.throws(
    () => episodeCost({ student: { input: 1, output: 0 } }, { student: { input: NaN, output: 1 } }),
    /price of "student"\.input/,
  );
});

test("CostNormalizer scales by the fitted range and clamps outside it", () => {
  const normalizer = new CostNormalizer().fit([4, 2, 10]);
  close(normalizer.normalise(4), 0.25);
  close(normalizer.normalise(8), 0.75);
  assert.equal(normalizer.normalise(12), 1);
  assert.equal(normalizer.normalise(0), 0);
});

test("CostNormalizer with equal costs maps at-or-below to 0 and above to 1", () => {
  const normalizer = new CostNormalizer().fit([3, 3]);
  assert.equal(normalizer.normalise(3), 0);
  assert.equal(normalizer.normalise(2), 0);
  assert.equal(normalizer.normalise(3.5), 1);
});

test("CostNormalizer statistics survive a JSON round trip", () => {
  const original = new CostNormalizer().fit([1, 5, 9]);
  const restored = CostNormalizer.fromJSON(JSON.parse(JSON.stringify(original)));
  assert.deepEqual(restored.toJSON(), { kind: "min-max", min: 1, max: 9, count: 3 });
  for (const cost of [0, 1, 3, 7, 9, 20]) assert.equal(restored.normalise(cost), original.normalise(cost));
});

test("CostNormalizer reports bad input with the field or index", () => {
  assert.throws(() => new CostNormalizer().normalise(1), /call fit\(\) or fromJSON\(\) first/);
  assert.throws(() => new CostNormalizer().fit([]), /no costs/);
  assert.throws(() => new CostNormalizer().fit([1, NaN]), /index 1/);
  assert.throws(() => CostNormalizer.fromJSON({ kind: "min-max", min: 1, count: 2 }), /field "max"/);
  assert.throws(() => CostNormalizer.fromJSON({ kind: "min-max", min: 5, max: 1, count: 2 }), /"min" \(5\) exceeds field "max" \(1\)/);
  assert.throws(() => CostNormalizer.fromJSON({ kind: "z-score", min: 0, max: 1, count: 2 }), /field "kind"/);
});

test("reward is performance minus alpha times normalised cost", () => {
  close(reward(0.8, 0.5, 0.2), 0.7);
  assert.equal(reward(1, 0, 5), 1);
  close(reward(0, 1, 0.3), -0.3);
  assert.throws(() => reward(1, NaN, 0.1), /normCost must be finite/);
});
