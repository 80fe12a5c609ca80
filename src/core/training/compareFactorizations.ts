// Which way of scoring assignments fits a data set's action-level data best (RouterHead.ts: joint, autoregressive,
// independent)? Each head is warmed up on the training items' observed quality and cost of every assignment and
// judged on held-out items: how far its predictions are from what was observed, and how much reward its greedy
// choice loses against the best observed assignment (the regret) at a few cost preferences. A reward that is a sum
// over agents leaves the three equal; an interaction between agents (a Teacher that rescues a Student, or makes it
// take more priced rounds) is what only the joint and autoregressive heads can fit.
import { Rng } from "../nn/Rng.ts";
import { HapsPolicy } from "../router/HapsPolicy.ts";
import { FACTORIZATIONS, type Factorization } from "../router/RouterHead.ts";
import type { ResolvedHapsPolicyConfig } from "../router/HapsPolicyConfig.ts";
import { warmUp, type SupervisedItem } from "./Sft.ts";

export interface FactorizationFit {
  factorization: Factorization;
  /** Root-mean-square error of the predicted quality / normalised cost over the held-out items' assignments. */
  qualityRmse: number;
  costRmse: number;
  /** Per alpha: mean over held-out items of (best observed reward - observed reward of the head's greedy choice). */
  regret: Record<string, number>;
}

export interface CompareOptions {
  /** Warm-up passes. Defaults to 200. */
  epochs?: number;
  /** Defaults to 3e-3. */
  lr?: number;
  /** Defaults to 0. */
  seed?: number;
  /** Cost preferences the regret is measured at. Defaults to [0, 0.5]. */
  alphas?: number[];
}

export function compareFactorizations(
  config: ResolvedHapsPolicyConfig,
  train: readonly SupervisedItem[],
  heldOut: readonly SupervisedItem[],
  options: CompareOptions = {},
): FactorizationFit[] {
  const alphas = options.alphas ?? [0, 0.5];
  return FACTORIZATIONS.map((factorization) => {
    const policy = new HapsPolicy({ ...config, factorization, seed: options.seed ?? 0 });
    warmUp(policy, { train, valid: [] }, { target: "tuples", reweight: false, epochs: options.epochs ?? 200, batchSize: 8, lr: options.lr ?? 3e-3 }, 0, new Rng(options.seed ?? 0));
    let sqQ = 0;
    let sqC = 0;
    let n = 0;
    const regret: Record<string, number> = {};
    for (const alpha of alphas) regret[String(alpha)] = 0;
    for (const item of heldOut) {
      for (const o of item.outcomes) {
        const p = policy.head.predict(item.feature, o.choices);
        sqQ += (p.quality - o.quality) ** 2;
        sqC += (p.cost - o.cost) ** 2;
        n++;
      }
      for (const alpha of alphas) {
        const rewardOf = (choices: readonly number[]) => {
          const o = item.outcomes.find((x) => x.choices.every((m, k) => m === choices[k]));
          return o == null ? NaN : o.quality - alpha * o.cost;
        };
        const best = Math.max(...item.outcomes.map((o) => o.quality - alpha * o.cost));
        regret[String(alpha)] += best - rewardOf(policy.head.argmax(item.feature, alpha).choices);
      }
    }
    for (const alpha of alphas) regret[String(alpha)] /= Math.max(1, heldOut.length);
    return { factorization, qualityRmse: Math.sqrt(sqQ / Math.max(1, n)), costRmse: Math.sqrt(sqC / Math.max(1, n)), regret };
  });
}
