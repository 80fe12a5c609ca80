import { test } from "node:test";
import assert from "node:assert/strict";
import { areaUnderFront, paretoFront } from "../../../src/core/metrics/routing/paretoFront.ts";

test("the front is the non-decreasing upper hull: dominated and below-chord points are dropped", () => {
  const points = [
    { cost: 0, quality: 0.2 },
    { cost: 0.5, quality: 0.4 }, // below the chord from (0, 0.2) to (1, 1): dropped
    { cost: 0.6, quality: 0.3 }, // dominated
    { cost: 0.2, quality: 0.7 },
    { cost: 1, quality: 1 },
    { cost: 0.9, quality: 0.6 }, // dominated
  ];
  assert.deepEqual(paretoFront(points), [
    { cost: 0, quality: 0.2 },
    { cost: 0.2, quality: 0.7 },
    { cost: 1, quality: 1 },
  ]);
});

test("area under the front: trapezoids over [0, 1], quality 0 below the cheapest point, flat beyond the dearest", () => {
  // (0, 0.2)-(0.2, 0.7): 0.2 * 0.45 = 0.09; (0.2, 0.7)-(1, 1): 0.8 * 0.85 = 0.68.
  assert.ok(Math.abs(areaUnderFront([{ cost: 0, quality: 0.2 }, { cost: 0.2, quality: 0.7 }, { cost: 1, quality: 1 }]) - 0.77) < 1e-12);
  // One point at (0.5, 0.8): nothing below cost 0.5, then 0.8 up to 1.
  assert.ok(Math.abs(areaUnderFront([{ cost: 0.5, quality: 0.8 }]) - 0.4) < 1e-12);
  // A single free point of quality q scores q.
  assert.ok(Math.abs(areaUnderFront([{ cost: 0, quality: 0.6 }]) - 0.6) < 1e-12);
  assert.throws(() => paretoFront([]), /no points/);
  assert.throws(() => paretoFront([{ cost: Number.NaN, quality: 1 }]), /point 0 is not finite/);
});
