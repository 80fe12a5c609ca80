import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/nn/Rng.ts";

test("Rng replays from its seed and differs between seeds", () => {
  const draw = (seed: number) => Array.from({ length: 50 }, ((r) => () => r.uniform())(new Rng(seed)));
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  assert.notDeepEqual(draw(0), draw(1));
});

test("uniform draws lie in [0, 1) with mean 1/2 and variance 1/12", () => {
  const rng = new Rng(7);
  const n = 20000;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sq += u * u;
  }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  // Five standard errors: sd(u) = sqrt(1/12).
  assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.01, `variance ${variance}`);
});

test("normal draws have mean 0, variance 1 and the Gaussian's tail mass", () => {
  const rng = new Rng(9);
  const n = 40000;
  const z = rng.fillNormal(new Float64Array(n));
  const mean = z.reduce((a, b) => a + b, 0) / n;
  const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  // Var of the sample variance of a Gaussian is 2 / n.
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
  // P(|z| > 1.96) = 0.05 for a standard normal.
  const tail = z.filter((v) => Math.abs(v) > 1.96).length / n;
  assert.ok(Math.abs(tail - 0.05) < 5 * Math.sqrt(0.05 * 0.95 / n), `tail ${tail}`);
  const scaled = new Rng(9).fillNormal(new Float64Array(4), 3, 10);
  const plain = new Rng(9).fillNormal(new Float64Array(4));
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(scaled[i] - (10 + 3 * plain[i])) < 1e-12);
});

test("int covers its range and refuses a bad bound; a bad seed is refused", () => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(rng.int(5));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
  assert.throws(() => rng.int(0), /positive integer/);
  assert.throws(() => new Rng(NaN), /seed must be a finite number/);
});

test("a generator restored from its state continues exactly where the original was", () => {
  const rng = new Rng(42);
  rng.normal();
  rng.uniform();
  const saved = JSON.parse(JSON.stringify(rng.getState()));
  const restored = Rng.fromState(saved);
  const a = [rng.normal(), rng.uniform(), rng.int(10), rng.normal(), rng.normal()];
  const b = [restored.normal(), restored.uniform(), restored.int(10), restored.normal(), restored.normal()];
  assert.deepEqual(b, a);
  assert.throws(() => Rng.fromState({ generator: [1, 2], spare: null }), /four integers/);
});
