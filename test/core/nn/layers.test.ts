import { test } from "node:test";
import assert from "node:assert/strict";
import { Linear } from "../../../src/core/nn/Linear.ts";
import { Mlp } from "../../../src/core/nn/Mlp.ts";
import { Trunk } from "../../../src/core/nn/Trunk.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { ACTIVATIONS, activate, activationBackward } from "../../../src/core/nn/activation.ts";
import { checkParameterGradients, dot, numericInputGradient, worstMismatch } from "./finiteDifferences.ts";

function randomVector(rng: Rng, n: number, std = 1): Float64Array {
  return rng.fillNormal(new Float64Array(n), std);
}

test("Linear computes W x + b with W stored (out x in) row-major", () => {
  const rng = new Rng(1);
  const layer = new Linear(3, 2, rng, { biasStd: 0.5 });
  const x = randomVector(rng, 3);
  const y = layer.forward(x);
  for (let o = 0; o < 2; o++) {
    let expected = layer.bias.data[o];
    for (let i = 0; i < 3; i++) expected += layer.weight.data[o * 3 + i] * x[i];
    assert.ok(Math.abs(y[o] - expected) < 1e-12);
  }
});

test("Linear backward matches central finite differences for weights, bias and input", () => {
  const rng = new Rng(2);
  const layer = new Linear(5, 4, rng, { biasStd: 0.3 });
  const x = randomVector(rng, 5);
  const c = randomVector(rng, 4);
  const loss = () => dot(c, layer.forward(x));
  let dx: Float64Array | null = null;
  const check = checkParameterGradients(layer.namedParameters(), loss, () => (dx = layer.backward(x, c)), rng);
  assert.ok(check.worst <= 1, check.detail);
  assert.ok(check.largest > 0);
  const numeric = numericInputGradient(x, (v) => dot(c, layer.forward(v)));
  assert.ok(worstMismatch(numeric, dx!, 1e-6, 1e-9) <= 1);
});

test("Linear accumulates gradients across backward calls until zeroGrad", () => {
  const rng = new Rng(3);
  const layer = new Linear(3, 2, rng);
  const x1 = randomVector(rng, 3);
  const x2 = randomVector(rng, 3);
  const dy = randomVector(rng, 2);
  layer.backward(x1, dy);
  const first = Float64Array.from(layer.weight.grad);
  layer.backward(x2, dy);
  for (let o = 0; o < 2; o++) {
    for (let i = 0; i < 3; i++) {
      const k = o * 3 + i;
      assert.ok(Math.abs(layer.weight.grad[k] - (first[k] + dy[o] * x2[i])) < 1e-5);
    }
  }
  layer.weight.zeroGrad();
  assert.ok(layer.weight.grad.every((g) => g === 0));
});

test("Linear refuses inputs of the wrong width with the expected width in the message", () => {
  const layer = new Linear(3, 2, new Rng(0));
  assert.throws(() => layer.forward(new Float64Array(4)), /expected input width 3, got 4/);
  assert.throws(() => layer.backward(new Float64Array(3), new Float64Array(5)), /expected gradient width 2, got 5/);
  assert.throws(() => new Linear(0, 2, new Rng(0)), /inWidth must be a positive integer/);
});

for (const kind of ACTIVATIONS) {
  test(`${kind} backward matches finite differences`, () => {
    const rng = new Rng(4);
    // Keep relu's inputs away from its kink, where the derivative is undefined.
    const x = randomVector(rng, 16, 1.5).map((v) => (Math.abs(v) < 0.05 ? v + 0.2 : v));
    const c = randomVector(rng, 16);
    const analytic = activationBackward(kind, x, c);
    const numeric = numericInputGradient(x, (v) => dot(c, activate(kind, v)), 1e-6);
    assert.ok(worstMismatch(numeric, analytic, 1e-6, 1e-8) <= 1, kind);
  });

  test(`Mlp with ${kind} backward matches finite differences through every layer`, () => {
    const rng = new Rng(5);
    const mlp = new Mlp([6, 5, 4, 3], rng, { activation: kind, activateLast: false, init: { biasStd: 0.2 } });
    const x = randomVector(rng, 6);
    const c = randomVector(rng, 3);
    const loss = () => dot(c, mlp.forward(x).output);
    let dx: Float64Array | null = null;
    const check = checkParameterGradients(mlp.namedParameters(), loss, () => (dx = mlp.backward(mlp.forward(x), c)), rng, {
      eps: 1e-3,
      rtol: 2e-3,
      atol: 1e-5,
    });
    assert.ok(check.worst <= 1, check.detail);
    const numeric = numericInputGradient(x, (v) => dot(c, mlp.forward(v).output));
    assert.ok(worstMismatch(numeric, dx!, 1e-5, 1e-8) <= 1);
  });
}

test("Trunk backward matches finite differences and is unchanged by the feature's scale", () => {
  const rng = new Rng(6);
  const trunk = new Trunk(7, rng, { width: 5 });
  const f = randomVector(rng, 7, 30);
  const c = randomVector(rng, 5);
  const check = checkParameterGradients(
    trunk.namedParameters(),
    () => dot(c, trunk.forward(f).output),
    () => trunk.backward(trunk.forward(f), c),
    rng,
  );
  assert.ok(check.worst <= 1, check.detail);
  const scaled = f.map((v) => v * 7.5);
  assert.ok(worstMismatch(trunk.forward(f).output, trunk.forward(scaled).output, 1e-9, 1e-12) <= 1);
});

test("Trunk names the caller, the expected width and a bad entry in its errors", () => {
  const trunk = new Trunk(4, new Rng(0), { width: 3 });
  assert.throws(() => trunk.forward([1, 2, 3], "RouterHead.forward"), /RouterHead\.forward: feature f: expected width 4, got 3/);
  assert.throws(() => trunk.forward([1, NaN, 3, 4]), /entry 1 is not a finite number/);
  assert.throws(() => trunk.forward(null as unknown as number[]), /expected an array of 4 numbers/);
});

test("Trunk clone copies weights but not gradients and is independent afterwards", () => {
  const rng = new Rng(7);
  const trunk = new Trunk(4, rng, { width: 3 });
  const f = randomVector(rng, 4);
  trunk.backward(trunk.forward(f), Float64Array.of(1, 1, 1));
  const copy = trunk.clone();
  assert.deepEqual(copy.forward(f).output, trunk.forward(f).output);
  for (const [, p] of copy.namedParameters()) assert.ok(p.grad.every((g) => g === 0));
  copy.mlp.layers[0].weight.data[0] += 1;
  assert.notDeepEqual(copy.forward(f).output, trunk.forward(f).output);
});
