import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { excludesZero, pairedBootstrap } from "../../../src/core/statistics/pairedBootstrap.ts";
import { mcnemar, pairedTest, wilcoxonSignedRank } from "../../../src/core/statistics/pairedTests.ts";

test("paired bootstrap: a planted difference of 0.3 (sd 1, 400 items) gets an interval around it that excludes zero, of the normal-theory width", () => {
  const rng = new Rng(5);
  const d = Array.from({ length: 400 }, () => 0.3 + rng.normal());
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1));
  const i = pairedBootstrap([d]);
  assert.ok(Math.abs(i.estimate - mean) < 1e-12);
  assert.ok(i.low < 0.3 && i.high > 0.3, `[${i.low}, ${i.high}]`);
  assert.ok(excludesZero(i));
  // The percentile interval of a mean is close to mean +- 1.96 sd / sqrt(n).
  const half = (1.96 * sd) / Math.sqrt(d.length);
  assert.ok(Math.abs(i.high - i.low - 2 * half) < 0.1 * 2 * half, `width ${i.high - i.low} vs ${2 * half}`);
  assert.equal(i.level, 0.95);
});

test("paired bootstrap: no difference gives [0, 0]; one item of 48 deciding gives an interval that includes zero", () => {
  const zero = pairedBootstrap([new Array(48).fill(0)]);
  assert.deepEqual([zero.estimate, zero.low, zero.high], [0, 0, 0]);
  const one = pairedBootstrap([[1, ...new Array(47).fill(0)]]);
  assert.ok(one.estimate > 0 && one.low === 0 && !excludesZero(one), `[${one.low}, ${one.high}]`);
});

test("paired bootstrap: strata are resampled apart, the estimate is the mean of the strata's means", () => {
  // Stratum 0 always +1, stratum 1 always -1 (different sizes): every resample gives exactly 0.
  const i = pairedBootstrap([new Array(10).fill(1), new Array(30).fill(-1)], { resamples: 200 });
  assert.deepEqual([i.estimate, i.low, i.high], [0, 0, 0]);
  assert.throws(() => pairedBootstrap([[1], []]), /stratum 1 has no items/);
  assert.throws(() => pairedBootstrap([[1, Number.NaN]]), /stratum 0, item 1: NaN is not finite/);
  assert.throws(() => pairedBootstrap([[1]], { level: 1 }), /level must be in \(0, 1\)/);
});

test("McNemar on a hand-made table: b = 2, c = 10 gives the exact two-sided p = 2 * P(X <= 2 | 12, 1/2) = 158/4096", () => {
  // 30 items: 15 both right, 3 both wrong, 2 only A right, 10 only B right.
  const a = [...new Array(15).fill(1), ...new Array(3).fill(0), 1, 1, ...new Array(10).fill(0)];
  const b = [...new Array(15).fill(1), ...new Array(3).fill(0), 0, 0, ...new Array(10).fill(1)];
  const r = mcnemar(a, b);
  assert.equal(r.statistic, 2);
  assert.equal(r.informative, 12);
  assert.ok(Math.abs(r.pValue - 158 / 4096) < 1e-12, `${r.pValue}`);
  // Symmetric; no discordant pair: p = 1.
  assert.ok(Math.abs(mcnemar(b, a).pValue - 158 / 4096) < 1e-12);
  assert.equal(mcnemar([1, 0], [1, 0]).pValue, 1);
  assert.throws(() => mcnemar([0.5], [1]), /item 0 is not binary/);
  assert.throws(() => mcnemar([1, 0], [1]), /2 scores against 1/);
});

test("Wilcoxon signed-rank on R's example (wilcox.test(x, y, paired = TRUE)): V = 40, p = 0.03906", () => {
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
  const r = wilcoxonSignedRank(x, y);
  assert.equal(r.statistic, 40);
  assert.ok(Math.abs(r.pValue - 0.0390625) < 1e-7, `${r.pValue}`);
  assert.equal(wilcoxonSignedRank([0.5, 0.2], [0.5, 0.2]).pValue, 1);
});

test("pairedTest: McNemar for right/wrong scores, Wilcoxon for graded ones", () => {
  assert.equal(pairedTest([1, 0, 1], [0, 0, 1]).test, "McNemar (exact)");
  assert.equal(pairedTest([1, 0.5, 1], [0, 0, 1]).test, "Wilcoxon signed-rank");
});
