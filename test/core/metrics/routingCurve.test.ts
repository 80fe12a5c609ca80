import { test } from "node:test";
import assert from "node:assert/strict";
import { apgr, cpt, pgr, sortCurve, trapezoid, type CurvePoint } from "../../../src/core/metrics/routing/routingCurve.ts";
import { quantile } from "../../../src/core/metrics/routing/quantile.ts";
import { routesStrong, sweepThresholds } from "../../../src/core/metrics/routing/thresholdSweep.ts";
import { strongCallShare } from "../../../src/core/metrics/routing/strongCallShare.ts";

const close = (actual: number | null, expected: number, tol = 1e-12) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < tol, `${actual} != ${expected}`);

// Weak model 0.5, strong 0.9; the router closes 75% of the gap with half the calls.
const curve: CurvePoint[] = [
  { strongShare: 1, quality: 0.9 },
  { strongShare: 0, quality: 0.5 },
  { strongShare: 0.5, quality: 0.8 },
];

test("PGR is the share of the weak-to-strong gap recovered", () => {
  close(pgr(0.8, 0.5, 0.9), 0.75);
  close(pgr(0.5, 0.5, 0.9), 0);
  close(pgr(0.95, 0.5, 0.9), 1.125);
  assert.throws(() => pgr(0.7, 0.6, 0.6), /same quality \(0\.6\)/);
});

test("APGR is the trapezoid area under PGR over the strong-call share (hand-computed)", () => {
  // PGR 0, 0.75, 1 at c = 0, 0.5, 1: 0.5 * (0 + 0.75) / 2 + 0.5 * (0.75 + 1) / 2 = 0.1875 + 0.4375.
  close(apgr(curve, 0.5, 0.9), 0.625);
  // The random router's straight line from weak to strong recovers half the gap on average.
  close(apgr([{ strongShare: 0, quality: 0.5 }, { strongShare: 0.25, quality: 0.6 }, { strongShare: 1, quality: 0.9 }], 0.5, 0.9), 0.5);
  // A curve covering only c in [0.5, 1] is averaged over that span, as evaluate.py's reference AUCs are.
  close(apgr(curve.slice(0, 1).concat(curve.slice(2)), 0.5, 0.9), 0.875);
  assert.throws(() => apgr([{ strongShare: 0.3, quality: 0.7 }], 0.5, 0.9), /at least two different shares/);
  assert.throws(() => apgr([{ strongShare: 1.2, quality: 0.7 }, { strongShare: 0, quality: 0.5 }], 0.5, 0.9), /point 0 has strongShare 1\.2/);
});

test("CPT(x) is the smallest share reaching PGR x, interpolated in the crossing segment", () => {
  close(cpt(curve, 0.5, 0.9, 0.2), (0.5 * 0.2) / 0.75);
  close(cpt(curve, 0.5, 0.9, 0.5), 1 / 3);
  close(cpt(curve, 0.5, 0.9, 0.8), 0.5 + (0.5 * 0.05) / 0.25);
  close(cpt(curve, 0.5, 0.9, 0), 0);
  assert.equal(cpt([{ strongShare: 0, quality: 0.5 }, { strongShare: 1, quality: 0.7 }], 0.5, 0.9, 0.8), null);
});

test("CPT takes the first crossing of a curve that is not monotone (np.interp would not)", () => {
  const wiggly: CurvePoint[] = [
    { strongShare: 0, quality: 0.5 },
    { strongShare: 0.3, quality: 0.9 },
    { strongShare: 0.6, quality: 0.6 },
    { strongShare: 1, quality: 0.9 },
  ];
  close(cpt(wiggly, 0.5, 0.9, 0.8), 0.24);
});

test("trapezoid and sortCurve behave as numpy's trapz over points sorted by share", () => {
  close(trapezoid([0, 1, 3], [1, 3, 3]), 2 + 6);
  assert.deepEqual(sortCurve(curve).map((p) => p.strongShare), [0, 0.5, 1]);
});

test("quantile interpolates linearly between order statistics as numpy does", () => {
  close(quantile([4, 1, 3, 2], 0.7), 3.1);
  close(quantile([3, 1, 2], 0.5), 2);
  close(quantile([5], 0.3), 5);
  assert.throws(() => quantile([], 0.5), /no values/);
  assert.throws(() => quantile([1, NaN], 0.5), /value 1 is not finite/);
});

test("the RouteLLM sweep has bins + 1 quantile edges, the last one strict, running from all strong to none", () => {
  const scores = Array.from({ length: 11 }, (_, i) => i / 10);
  const edges = sweepThresholds(scores, 10);
  assert.equal(edges.length, 11);
  edges.forEach((e, i) => close(e.threshold, i / 10));
  const strongCounts = edges.map((e) => scores.filter((s) => routesStrong(s, e)).length);
  assert.deepEqual(strongCounts, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 0]);
});

test("strongCallShare counts agent calls, so a mixed two-agent assignment is half strong", () => {
  close(strongCallShare([[1, 1], [0, 1], [0, 0], [1, 0]], 1), 0.5);
  close(strongCallShare([[1], [1], [0]], 1), 2 / 3);
  assert.throws(() => strongCallShare([], 1), /no items/);
});
