// Means and standard deviations over seeds, per method and cost regime: what the report's tables print.
import type { MethodSummary, SeedEvaluation, Stat } from "./types.ts";

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

export function stat(values: readonly number[]): Stat {
  return { mean: mean(values), std: std(values), perSeed: [...values] };
}

/** One summary per method, in the first seed's order; every seed must report the same methods and regimes. */
export function summarise(perSeed: readonly SeedEvaluation[]): MethodSummary[] {
  if (perSeed.length === 0) return [];
  return perSeed[0].methods.map((first) => {
    const all = perSeed.map((s) => {
      const m = s.methods.find((x) => x.name === first.name);
      if (m == null) throw new Error(`seed ${s.seed} has no result for "${first.name}"`);
      return m;
    });
    const byAlpha: MethodSummary["byAlpha"] = {};
    for (const key of Object.keys(first.byAlpha)) {
      const scores = all.map((m) => m.byAlpha[key]);
      byAlpha[key] = {
        quality: stat(scores.map((x) => x.quality)),
        normalisedCost: stat(scores.map((x) => x.normalisedCost)),
        reward: stat(scores.map((x) => x.reward)),
        strongCallShare: stat(scores.map((x) => x.strongCallShare)),
        failed: scores.reduce((s, x) => s + x.failed, 0),
      };
    }
    return { name: first.name, group: first.group, kind: first.kind, depth: first.depth, adapters: first.adapters, scoredFrom: first.scoredFrom, weighsCost: first.weighsCost, byAlpha };
  });
}
