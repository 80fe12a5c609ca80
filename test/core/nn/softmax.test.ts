import { test } from "node:test";
import assert from "node:assert/strict";
import { logProbGrad, logSoftmax, softmax, softmaxBackward } from "../../../src/core/nn/softmax.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { dot, numericInputGradient, worstMismatch } from "./finiteDifferences.ts";

test("softmax is a distribution, shift invariant, and stable for huge scores", () => {
  const rng = new Rng(1);
  const s = rng.fillNormal(new Float64Array(6), 3);
  const p = softmax(s);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(p.every((v) => v > 0));
  const shifted = softmax(s.map((v) => v + 1000));
  assert.ok(worstMismatch(p, shifted, 1e-9, 1e-15) <= 1);
  const lp = logSoftmax(s);
  for (let i = 0; i < s.length; i++) assert.ok(Math.abs(Math.exp(lp[i]) - p[i]) < 1e-12);
  // The largest score wins.
  const best = s.indexOf(Math.max(...s));
  assert.equal(p.indexOf(Math.max(...p)), best);
});

test("softmaxBackward and logProbGrad match finite differences", () => {
  const rng = new Rng(2);
  const s = rng.fillNormal(new Float64Array(5));
  const c = rng.fillNormal(new Float64Array(5));
  const analytic = softmaxBackward(softmax(s), c);
  const numeric = numericInputGradient(s, (v) => dot(c, softmax(v)));
  assert.ok(worstMismatch(numeric, analytic, 1e-6, 1e-9) <= 1);
  const a = 3;
  const g = logProbGrad(softmax(s), a);
  const numericLog = numericInputGradient(s, (v) => logSoftmax(v)[a]);
  assert.ok(worstMismatch(numericLog, g, 1e-6, 1e-9) <= 1);
});

test("softmax refuses empty or non-finite scores, logProbGrad an index out of range", () => {
  assert.throws(() => softmax([]), /empty/);
  assert.throws(() => softmax([0, NaN]), /score 1 is not finite/);
  assert.throws(() => logProbGrad([0.5, 0.5], 2), /index 2 outside 0\.\.1/);
});
