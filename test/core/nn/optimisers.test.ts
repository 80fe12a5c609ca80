import { test } from "node:test";
import assert from "node:assert/strict";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { Sgd } from "../../../src/core/nn/Sgd.ts";
import { Parameter } from "../../../src/core/nn/Parameter.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";

test("Adam's first step moves every weight by lr against its gradient's sign", () => {
  const rng = new Rng(1);
  const p = new Parameter([8], rng.fillNormal(new Float32Array(8)));
  const before = Float32Array.from(p.data);
  rng.fillNormal(p.grad, 5);
  const lr = 0.01;
  new Adam([p], { lr }).step();
  for (let i = 0; i < 8; i++) {
    const moved = p.data[i] - before[i];
    assert.ok(Math.abs(Math.abs(moved) - lr) < 1e-5, `entry ${i} moved ${moved}`);
    assert.equal(Math.sign(moved), -Math.sign(p.grad[i]));
  }
});

test("Adam minimises a badly scaled quadratic", () => {
  const rng = new Rng(2);
  const target = rng.fillNormal(new Float32Array(4));
  const scales = [1, 10, 100, 0.1];
  const p = new Parameter([4]);
  const adam = new Adam([p], { lr: 0.05 });
  const loss = () => scales.reduce((s, k, i) => s + 0.5 * k * (p.data[i] - target[i]) ** 2, 0);
  const start = loss();
  for (let t = 0; t < 600; t++) {
    adam.zeroGrad();
    for (let i = 0; i < 4; i++) p.grad[i] = scales[i] * (p.data[i] - target[i]);
    adam.step();
  }
  assert.ok(loss() < start * 1e-4, `loss ${loss()} from ${start}`);
  assert.equal(adam.steps, 600);
});

test("Adam's decoupled weight decay shrinks weights by lr * decay when the gradient is zero", () => {
  const p = new Parameter([3], Float32Array.of(1, -2, 4));
  const adam = new Adam([p], { lr: 0.1, weightDecay: 0.5 });
  adam.step();
  assert.ok(Math.abs(p.data[0] - 0.95) < 1e-6);
  assert.ok(Math.abs(p.data[1] + 1.9) < 1e-6);
  assert.ok(Math.abs(p.data[2] - 3.8) < 1e-6);
});

test("Adam refuses non-finite gradients without touching any weight, and bad options", () => {
  const a = new Parameter([2], Float32Array.of(1, 2));
  const b = new Parameter([2], Float32Array.of(3, 4));
  a.grad.set([1, 1]);
  b.grad.set([1, Infinity]);
  const adam = new Adam([a, b]);
  assert.throws(() => adam.step(), /parameter 1 entry 1 is not finite/);
  assert.deepEqual([...a.data, ...b.data], [1, 2, 3, 4]);
  assert.equal(adam.steps, 0);
  assert.throws(() => new Adam([a], { lr: -1 }), /lr must be > 0/);
  assert.throws(() => new Adam([a], { beta2: 1 }), /beta2 must be in \[0, 1\)/);
});

test("SGD steps by lr times the gradient (with momentum, by its running sum) and refuses a non-finite gradient", () => {
  const p = new Parameter([3]);
  p.data.set([1, 2, 3]);
  const sgd = new Sgd([p], { lr: 0.5 });
  p.grad.set([2, 0, -4]);
  sgd.step();
  assert.deepEqual([...p.data], [0, 2, 5]);
  const q = new Parameter([1]);
  const heavy = new Sgd([q], { lr: 1, momentum: 0.5 });
  q.grad[0] = 1;
  heavy.step(); // v = 1
  heavy.step(); // v = 1.5
  assert.equal(q.data[0], -2.5);
  const restored = new Sgd([q], { lr: 1, momentum: 0.5 });
  restored.setState(heavy.getState());
  restored.step(); // v = 1.75
  assert.equal(q.data[0], -4.25);
  q.grad[0] = NaN;
  assert.throws(() => heavy.step(), /not finite/);
  assert.equal(q.data[0], -4.25);
});
