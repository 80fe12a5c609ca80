// Paired significance tests of one method against another on the same items:
//  - McNemar's test when the quality is binary (right or wrong per item): only the discordant items count, b = A right
//    and B wrong, c = the reverse; under the null each discordant item goes either way with probability 1/2, so the
//    exact two-sided binomial test of b out of b + c (the "exact McNemar", preferred to the chi-square form for the
//    small counts of a few dozen test items);
//  - the Wilcoxon signed-rank test when it is graded (token F1, or a reward with a cost term): zero differences dropped
//    (Wilcoxon's convention), the normal approximation with continuity correction and tie correction beyond 50
//    non-zero differences, the exact distribution below.
// The distributions come from stdlib (@stdlib/stats-binomial-test, @stdlib/stats-wilcoxon), a maintained library.
import binomialTest from "@stdlib/stats-binomial-test";
import wilcoxon from "@stdlib/stats-wilcoxon";

export interface PairedTest {
  test: "McNemar (exact)" | "Wilcoxon signed-rank";
  /** McNemar: b (A right, B wrong); Wilcoxon: the signed-rank statistic V (sum of the ranks of the positive differences). */
  statistic: number;
  pValue: number;
  /** McNemar: b + c; Wilcoxon: non-zero differences. */
  informative: number;
}

function check(a: readonly number[], b: readonly number[], where: string): void {
  if (a.length !== b.length) throw new RangeError(`${where}: ${a.length} scores against ${b.length}; a paired test needs one pair per item`);
  if (a.length === 0) throw new RangeError(`${where}: no items`);
  [...a, ...b].forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`${where}: score ${i} is not finite (${v})`);
  });
}

/** Exact McNemar test on paired 0/1 outcomes. */
export function mcnemar(a: readonly number[], b: readonly number[]): PairedTest {
  check(a, b, "mcnemar");
  let onlyA = 0;
  let onlyB = 0;
  a.forEach((x, i) => {
    if ((x !== 0 && x !== 1) || (b[i] !== 0 && b[i] !== 1)) throw new RangeError(`mcnemar: item ${i} is not binary (${x}, ${b[i]})`);
    if (x === 1 && b[i] === 0) onlyA++;
    else if (x === 0 && b[i] === 1) onlyB++;
  });
  const n = onlyA + onlyB;
  return { test: "McNemar (exact)", statistic: onlyA, pValue: n === 0 ? 1 : Math.min(1, binomialTest(onlyA, n, { p: 0.5 }).pValue), informative: n };
}

/** Wilcoxon signed-rank test on the paired differences a - b. */
export function wilcoxonSignedRank(a: readonly number[], b: readonly number[]): PairedTest {
  check(a, b, "wilcoxonSignedRank");
  // Differences below float noise are zeros (F1 values and rewards are sums of a few terms).
  const d = a.map((x, i) => (Math.abs(x - b[i]) < 1e-12 ? 0 : x - b[i]));
  const nonZero = d.filter((x) => x !== 0).length;
  if (nonZero === 0) return { test: "Wilcoxon signed-rank", statistic: 0, pValue: 1, informative: 0 };
  const r = wilcoxon(d, { zeroMethod: "wilcox", correction: true });
  return { test: "Wilcoxon signed-rank", statistic: r.statistic, pValue: Math.min(1, r.pValue), informative: nonZero };
}

/** McNemar when every score is 0 or 1, else Wilcoxon. */
export function pairedTest(a: readonly number[], b: readonly number[]): PairedTest {
  const binary = [...a, ...b].every((x) => x === 0 || x === 1);
  return binary ? mcnemar(a, b) : wilcoxonSignedRank(a, b);
}
