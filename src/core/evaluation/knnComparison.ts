// HAPS against the kNN router on the validation items (issue 15): a learned router that does worse than its nearest
// neighbours on the same routing feature has not used the signal that feature holds, and the report must say so.
//
// Both are judged on the seed's validation items at the training alpha:
//  - kNN (cosine on the standardised feature, k chosen on these same items, StandardizedBaseline + KnnRouter), scored
//    from the items' action rows (it has no adapters);
//  - HAPS's head alone: its greedy assignments scored from the same action rows (routing only, like for like);
//  - HAPS as trained: its best validation reward from joint RL (episodes with its generated adapters).
// HAPS counts as worse when the better of its two figures is below kNN's by more than `tolerance` (0.05, the issue's).
import { KnnRouter, StandardizedBaseline, type AssignmentSpace, type RoutingExample } from "../baselines/index.ts";
import type { HapsPolicy } from "../router/HapsPolicy.ts";
import { baselineRng } from "./baselineMethods.ts";

export const KNN_TOLERANCE = 0.05;

export interface KnnComparison {
  alpha: number;
  /** Validation items judged (0: the split had none, and nothing was compared). */
  items: number;
  knnValidReward: number;
  /** k the kNN router chose. */
  knnK: number;
  /** HAPS's head, greedy, scored from the action rows. */
  hapsRoutingValidReward: number;
  /** HAPS's best validation reward in joint RL (with adapters). */
  hapsValidReward: number;
  /** Whether HAPS's better figure is below kNN's by more than the tolerance. */
  hapsWorse: boolean;
  tolerance: number;
}

export function compareWithKnn(
  policy: HapsPolicy,
  examples: { train: readonly RoutingExample[]; valid: readonly RoutingExample[] },
  space: AssignmentSpace,
  hapsValidReward: number,
  alpha: number,
  seed: number,
): KnnComparison | null {
  if (examples.valid.length === 0 || examples.train.length === 0) return null;
  const knn = new KnnRouter();
  const router = new StandardizedBaseline(knn);
  router.fit(examples.train, examples.valid, space, { rng: baselineRng(seed, "kNN comparison"), alphas: [alpha] });
  const head = policy.head;
  const indexOf = (choices: readonly number[]) => space.assignments.findIndex((a) => a.choices.every((m, n) => m === choices[n]));
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const rewardOf = (ex: RoutingExample, a: number) => ex.quality[a] - alpha * ex.cost[a];
  const knnValidReward = mean(examples.valid.map((ex) => rewardOf(ex, router.choose(ex, alpha))));
  const hapsRoutingValidReward = mean(
    examples.valid.map((ex) => {
      const a = indexOf(head.argmax(ex.embedding, alpha).choices);
      if (a < 0) throw new Error(`compareWithKnn: HAPS chose an assignment outside the space on item "${ex.id}"`);
      return rewardOf(ex, a);
    }),
  );
  return {
    alpha,
    items: examples.valid.length,
    knnValidReward,
    knnK: knn.k,
    hapsRoutingValidReward,
    hapsValidReward,
    hapsWorse: Math.max(hapsRoutingValidReward, hapsValidReward) < knnValidReward - KNN_TOLERANCE,
    tolerance: KNN_TOLERANCE,
  };
}

/** The report's lines for one seed's comparison. */
export function knnComparisonLine(seed: number, c: KnnComparison | null): string {
  if (c == null) return `- seed ${seed}: no validation items, nothing compared.`;
  const f = (x: number) => x.toFixed(3);
  const verdict = c.hapsWorse
    ? `**HAPS is worse than the kNN router** (by more than ${c.tolerance}): it has not learned the routing signal its feature holds.`
    : "HAPS is not worse than the kNN router.";
  return `- seed ${seed}: kNN (k=${c.knnK}) ${f(c.knnValidReward)}; HAPS routing alone ${f(c.hapsRoutingValidReward)}, HAPS with adapters ${f(c.hapsValidReward)} (validation reward at alpha ${c.alpha}, ${c.items} items). ${verdict}`;
}
