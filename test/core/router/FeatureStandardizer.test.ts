import { test } from "node:test";
import assert from "node:assert/strict";
import { FeatureStandardizer } from "../../../src/core/router/FeatureStandardizer.ts";
import { commonComponentExamples, spreadAndMeanNorm, WIDTH } from "../baselines/commonComponent.ts";

const { examples, groups } = commonComponentExamples(7, 64, "tr");
const features = examples.map((e) => e.embedding);

test("the synthetic feature has the issue's shape: spread about 0.31 (outliers aside) on a mean of norm about 7.4", () => {
  const { spread, meanNorm } = spreadAndMeanNorm(features);
  assert.ok(Math.abs(meanNorm - 7.4) < 0.3, `mean norm ${meanNorm}`);
  assert.ok(spread > 0.25 && spread < 0.4, `spread ${spread}`);
});

test("standardised training features have mean 0 and standard deviation 1 in every dimension", () => {
  const s = FeatureStandardizer.fit(features);
  const z = features.map((f) => s.apply(f));
  for (let j = 0; j < WIDTH; j++) {
    const mean = z.reduce((a, v) => a + v[j], 0) / z.length;
    const sd = Math.sqrt(z.reduce((a, v) => a + (v[j] - mean) ** 2, 0) / z.length);
    assert.ok(Math.abs(mean) < 1e-9, `dimension ${j}: mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 1e-9, `dimension ${j}: sd ${sd}`);
  }
});

test("after standardisation the group, not the common component or the outliers, decides the nearest neighbour", () => {
  const s = FeatureStandardizer.fit(features);
  const nearestSameGroup = (vectors: Float64Array[]) => {
    let hits = 0;
    vectors.forEach((v, i) => {
      let best = -1;
      let bestSim = -Infinity;
      vectors.forEach((w, k) => {
        if (k === i) return;
        const sim = cosine(v, w);
        if (sim > bestSim) [best, bestSim] = [k, sim];
      });
      if (groups[best] === groups[i]) hits++;
    });
    return hits / vectors.length;
  };
  const raw = nearestSameGroup(features.map((f) => Float64Array.from(f)));
  const centred = nearestSameGroup(features.map((f) => s.apply(f)));
  // Raw cosine is decided by the outlier dimensions (near chance, 1/4); the standardised feature is decided by the group.
  assert.ok(raw < 0.6, `raw leave-one-out 1-NN accuracy ${raw}`);
  assert.ok(centred >= 0.95, `standardised leave-one-out 1-NN accuracy ${centred}`);
});

test("a constant dimension is only centred, within the floor, and never divides by zero", () => {
  const s = FeatureStandardizer.fit([
    [1, 5, 0],
    [3, 5, 0],
    [5, 5, 0],
  ]);
  assert.deepEqual(Array.from(s.mean), [3, 5, 0]);
  assert.ok(s.scale[1] > 0 && s.scale[1] < s.scale[0], `scale ${Array.from(s.scale)}`);
  assert.deepEqual(Array.from(s.apply([3, 5, 0])), [0, 0, 0]);
  const one = FeatureStandardizer.fit([[2, 4]]);
  assert.deepEqual(Array.from(one.apply([3, 4])), [1, 0]);
});

test("the statistics survive JSON, and bad input names the field", () => {
  const s = FeatureStandardizer.fit(features);
  const back = FeatureStandardizer.fromJSON(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(Array.from(back.apply(features[3])), Array.from(s.apply(features[3])));
  assert.throws(() => s.apply([1, 2, 3], "router"), /router: feature f: expected width 48, got 3/);
  assert.throws(() => FeatureStandardizer.fromJSON({ mean: [1, 2], scale: [1, 0] }, "ckpt"), /ckpt: field scale entry 1 must be > 0/);
  assert.throws(() => FeatureStandardizer.fromJSON({ mean: [1] }, "ckpt"), /ckpt: expected an object/);
  assert.throws(() => FeatureStandardizer.fit([]), /at least one/);
  assert.throws(() => FeatureStandardizer.fit([[1, 2], [1, Number.NaN]]), /feature 1: entry 1 is not a finite number/);
});

function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
