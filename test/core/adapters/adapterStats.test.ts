import { test } from "node:test";
import assert from "node:assert/strict";
import { adapterStats, layerStats } from "../../../src/core/adapters/adapterStats.ts";
import type { LoraLayer } from "../../../src/core/adapters/types.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";

function randomLayer(layer: number, inWidth: number, rank: number, outWidth: number, seed: number): LoraLayer {
  const rnd = new Rng(seed);
  return { layer, inWidth, outWidth, rank, a: rnd.fillNormal(new Float32Array(inWidth * rank), 1), b: rnd.fillNormal(new Float32Array(rank * outWidth), 1) };
}

/** ||A B||_F by forming the product, to check the Gram-matrix shortcut against. */
function bruteForceUpdateNorm(l: LoraLayer): number {
  let s = 0;
  for (let i = 0; i < l.inWidth; i++) {
    for (let k = 0; k < l.outWidth; k++) {
      let v = 0;
      for (let j = 0; j < l.rank; j++) v += l.a[i * l.rank + j] * l.b[j * l.outWidth + k];
      s += v * v;
    }
  }
  return Math.sqrt(s);
}

const frobenius = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0));

test("adapterStats gives each layer's norms of A, B and A B", () => {
  const layers = [randomLayer(2, 7, 3, 5, 1), randomLayer(5, 64, 8, 128, 2)];
  const stats = adapterStats({ architecture: "llama", layers });
  assert.deepEqual(stats.map((s) => [s.layer, s.rank]), [[2, 3], [5, 8]]);
  stats.forEach((s, i) => {
    const l = layers[i];
    assert.ok(Math.abs(s.normA - frobenius(l.a)) < 1e-9 * s.normA);
    assert.ok(Math.abs(s.normB - frobenius(l.b)) < 1e-9 * s.normB);
    const brute = bruteForceUpdateNorm(l);
    assert.ok(Math.abs(s.normUpdate - brute) < 1e-9 * brute, `${s.normUpdate} vs ${brute}`);
    assert.ok(s.normUpdate <= s.normA * s.normB * (1 + 1e-12), "sub-multiplicative");
  });
});

test("a rank-1 update's norm is the product of the factors' norms; a zero factor gives zero", () => {
  const l = randomLayer(0, 10, 1, 6, 3);
  const s = layerStats(l);
  assert.ok(Math.abs(s.normUpdate - s.normA * s.normB) < 1e-9 * s.normUpdate);
  const zeroB = layerStats({ ...l, b: new Float32Array(6) });
  assert.equal(zeroB.normUpdate, 0);
  assert.ok(zeroB.normA > 0);
});

test("adapterStats names a layer whose factors do not match its widths", () => {
  assert.throws(() => layerStats({ ...randomLayer(4, 8, 2, 8, 5), a: new Float32Array(3) }), /layer 4 has a of 3 and b of 16 values; expected 16 and 16/);
});
