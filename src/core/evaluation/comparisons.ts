// Every difference the report states, with its uncertainty over the test items: paired bootstrap 95 % intervals
// (statistics/pairedBootstrap.ts, the seeds' test sets as strata) and a paired test on the items of all seeds
// (statistics/pairedTests.ts: McNemar for binary quality, Wilcoxon signed-rank for graded quality and for rewards).
// Also the bold rule of the report's tables: a column's best row is bold only when its interval against every other
// competing row excludes zero.
import { pairedBootstrap, excludesZero, type Interval } from "../statistics/pairedBootstrap.ts";
import { pairedTest } from "../statistics/pairedTests.ts";
import { Rng } from "../nn/Rng.ts";
import { alphaKey } from "./evaluateSeed.ts";
import type { Comparisons, Difference, EvaluationResults, MethodSummary, SeedEvaluation } from "./types.ts";

export type Measure = Difference["measure"];
export const LEVEL = 0.95;
export const RESAMPLES = 2000;
/** Which way is better: higher quality and reward, lower cost. */
export const BETTER: Record<Measure, 1 | -1> = { quality: 1, normalisedCost: -1, reward: 1 };

/** The rows that can be the best baseline: every baseline of the main table (fixed rows included), not HAPS, not the Oracle. */
export const BASELINE_KINDS: readonly string[] = ["random", "fixed", "routellm", "routellm-pair", "graphrouter", "irt", "knn", "mlp", "static-adapter"];

/** One method's per-item scores at one alpha, one array per seed (null when a seed has no such score). */
export function itemScores(perSeed: readonly SeedEvaluation[], name: string, alpha: number, measure: Measure): number[][] | null {
  const out: number[][] = [];
  for (const s of perSeed) {
    const score = s.methods.find((m) => m.name === name)?.byAlpha[alphaKey(alpha)];
    if (score?.perItem == null) return null;
    const { quality, cost } = score.perItem;
    out.push(measure === "quality" ? quality : measure === "normalisedCost" ? cost : quality.map((q, i) => q - alpha * cost[i]));
  }
  return out;
}

/** The paired difference a - b (interval over items, stratified by seed; test on all items). Null without per-item scores. */
export function difference(perSeed: readonly SeedEvaluation[], a: string, b: string, alpha: number, measure: Measure): Difference | null {
  const x = itemScores(perSeed, a, alpha, measure);
  const y = itemScores(perSeed, b, alpha, measure);
  if (x == null || y == null) return null;
  const diffs = x.map((xs, s) => xs.map((v, i) => v - y[s][i]));
  // One stream per comparison, so an interval does not depend on which other comparisons the report makes.
  const interval = pairedBootstrap(diffs, { level: LEVEL, resamples: RESAMPLES, rng: Rng.forKey(RESAMPLES, `${a}|${b}|${alpha}|${measure}`) });
  return { a, b, alpha, measure, interval, test: pairedTest(x.flat(), y.flat()) };
}

function meanOf(m: MethodSummary, alpha: number, measure: Measure): number {
  return m.byAlpha[alphaKey(alpha)]?.[measure].mean ?? NaN;
}

/** The best baseline at an alpha by mean reward (at alpha 0 reward is quality); ties to the first in summary order. */
export function bestBaselineAt(r: Pick<EvaluationResults, "summary">, alpha: number, measure: Measure = "reward"): MethodSummary | null {
  const rows = r.summary.filter((m) => m.group === "main" && BASELINE_KINDS.includes(m.kind) && m.byAlpha[alphaKey(alpha)] != null);
  if (rows.length === 0) return null;
  return rows.reduce((best, m) => (meanOf(m, alpha, measure) * BETTER[measure] > meanOf(best, alpha, measure) * BETTER[measure] + 1e-12 ? m : best));
}

/**
 * The bold rule: among `names` (the rows that compete in a column), the one with the best mean is marked only when the
 * paired interval of its difference to every other row excludes zero. Returns its name, or null (no clear best).
 */
export function clearBest(perSeed: readonly SeedEvaluation[], summary: readonly MethodSummary[], names: readonly string[], alpha: number, measure: Measure): string | null {
  const rows = names.map((n) => summary.find((m) => m.name === n)).filter((m): m is MethodSummary => m != null && m.byAlpha[alphaKey(alpha)] != null);
  if (rows.length < 2) return null;
  const best = rows.reduce((b, m) => (meanOf(m, alpha, measure) * BETTER[measure] > meanOf(b, alpha, measure) * BETTER[measure] + 1e-12 ? m : b));
  for (const other of rows) {
    if (other === best) continue;
    const d = difference(perSeed, best.name, other.name, alpha, measure);
    if (d == null || !excludesZero(d.interval)) return null;
  }
  return best.name;
}

export function buildComparisons(r: Pick<EvaluationResults, "summary" | "perSeed" | "alphas" | "trainingAlpha">): Comparisons {
  const main = r.summary.filter((m) => m.group === "main");
  const oracle = main.find((m) => m.kind === "oracle");
  const bestBaseline: Comparisons["bestBaseline"] = {};
  const vsBestBaseline: Difference[] = [];
  const regret: Difference[] = [];
  for (const alpha of r.alphas) {
    const best = bestBaselineAt(r, alpha);
    bestBaseline[alphaKey(alpha)] = best?.name ?? null;
    for (const m of main) {
      if (m.kind === "oracle") continue;
      if (best != null && m !== best) {
        for (const measure of ["quality", "reward"] as const) {
          const d = difference(r.perSeed, m.name, best.name, alpha, measure);
          if (d) vsBestBaseline.push(d);
        }
      }
      if (oracle != null) {
        const d = difference(r.perSeed, oracle.name, m.name, alpha, "reward");
        if (d) regret.push(d);
      }
    }
  }
  const order: Difference[] = [];
  const a = r.trainingAlpha;
  const chain = [main.find((m) => m.kind === "haps"), oracle, bestBaselineAt(r, a), main.find((m) => m.kind === "random")];
  if (chain.every((m) => m != null)) {
    for (let i = 0; i + 1 < chain.length; i++) {
      if (chain[i] === chain[i + 1]) continue;
      const d = difference(r.perSeed, chain[i]!.name, chain[i + 1]!.name, a, "quality");
      if (d) order.push(d);
    }
  }
  return { level: LEVEL, resamples: RESAMPLES, bestBaseline, vsBestBaseline, regret, order };
}

/** "+0.083 [+0.021, +0.146]" */
export function formatInterval(i: Interval): string {
  const s = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;
  return `${s(i.estimate)} [${s(i.low)}, ${s(i.high)}]`;
}

/** "p = 0.031 (McNemar, 12 discordant)" */
export function formatTest(d: Difference): string {
  const p = d.test.pValue < 0.001 ? "p < 0.001" : `p = ${d.test.pValue.toFixed(3)}`;
  return `${p} (${d.test.test === "McNemar (exact)" ? `McNemar, ${d.test.informative} discordant` : `Wilcoxon, ${d.test.informative} non-zero`})`;
}
