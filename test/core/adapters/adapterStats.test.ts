import { test } from "node:test";
import assert from "node:assert/strict";
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { adapterStats, layerStats, TOP_SINGULAR_VALUES } from "../../../src/core/adapters/adapterStats.ts";
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

/** A B formed explicitly (inWidth x outWidth). */
function product(l: LoraLayer): Matrix {
  const m = new Matrix(l.inWidth, l.outWidth);
  for (let i = 0; i < l.inWidth; i++) {
    for (let k = 0; k < l.outWidth; k++) {
      let v = 0;
      for (let j = 0; j < l.rank; j++) v += l.a[i * l.rank + j] * l.b[j * l.outWidth + k];
      m.set(i, k, v);
    }
  }
  return m;
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

test("the update's top singular values match an SVD of the explicit product A B", () => {
  for (const [i, l] of [randomLayer(1, 7, 3, 5, 11), randomLayer(3, 64, 8, 128, 12), randomLayer(0, 40, 12, 30, 13)].entries()) {
    const s = layerStats(l);
    // Another algorithm on another matrix: Golub-Kahan SVD of the in x out product.
    const svd = new SingularValueDecomposition(product(l), { computeLeftSingularVectors: false, computeRightSingularVectors: false });
    const expected = [...svd.diagonal].sort((x, y) => y - x).slice(0, Math.min(l.rank, TOP_SINGULAR_VALUES));
    assert.equal(s.topSingularValues.length, expected.length, `layer set ${i}`);
    s.topSingularValues.forEach((sigma, k) => {
      assert.ok(Math.abs(sigma - expected[k]) < 1e-9 * expected[0], `case ${i}, sigma_${k}: ${sigma} vs ${expected[k]}`);
      if (k > 0) assert.ok(sigma <= s.topSingularValues[k - 1], "descending");
    });
    if (l.rank <= TOP_SINGULAR_VALUES) {
      const sumSquares = s.topSingularValues.reduce((acc, x) => acc + x * x, 0);
      assert.ok(Math.abs(Math.sqrt(sumSquares) - s.normUpdate) < 1e-9 * s.normUpdate, "sum of squares is the Frobenius norm");
    }
  }
});

test("singular values of a known update: diagonal scales, a rank-1 outer product, a zero factor", () => {
  // A = [diag(d); 0] (6 x 3), B = [I 0] (3 x 5): A B has d's absolute values as its singular values.
  const d = [0.5, -3, 2];
  const a = new Float32Array(6 * 3);
  const b = new Float32Array(3 * 5);
  d.forEach((v, j) => {
    a[j * 3 + j] = v;
    b[j * 5 + j] = 1;
  });
  const diag = layerStats({ layer: 0, inWidth: 6, outWidth: 5, rank: 3, a, b });
  assert.deepEqual(diag.topSingularValues.map((x) => Number(x.toFixed(12))), [3, 2, 0.5]);

  const r1 = layerStats(randomLayer(0, 10, 1, 6, 3));
  assert.equal(r1.topSingularValues.length, 1);
  assert.ok(Math.abs(r1.topSingularValues[0] - r1.normA * r1.normB) < 1e-9 * r1.normUpdate);

  const zeroB = layerStats({ ...randomLayer(2, 16, 4, 8, 4), b: new Float32Array(4 * 8) });
  assert.deepEqual(zeroB.topSingularValues, [0, 0, 0, 0]);
});
