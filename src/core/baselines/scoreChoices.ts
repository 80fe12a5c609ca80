import { reward } from "../metrics/reward/reward.ts";
import type { RoutingExample } from "./types.ts";

/** What a router's choices achieved on a split, from the observed outcomes of the chosen assignments. */
export interface ChoiceScore {
  /** Mean observed quality. */
  quality: number;
  /** Mean normalised cost. */
  cost: number;
  /** Mean reward quality - alpha * cost. */
  reward: number;
  /** How often each assignment was chosen (the assignment mix), indexed like the space's assignments. */
  counts: number[];
}

/** Scores `choices[i]` (an assignment index) on `examples[i]` under cost preference `alpha`. */
export function scoreChoices(examples: readonly RoutingExample[], choices: readonly number[], alpha: number, assignmentCount: number): ChoiceScore {
  if (examples.length !== choices.length) throw new Error(`scoreChoices: ${examples.length} examples but ${choices.length} choices`);
  if (examples.length === 0) throw new Error("scoreChoices: no examples");
  const counts = new Array<number>(assignmentCount).fill(0);
  let quality = 0;
  let cost = 0;
  let total = 0;
  examples.forEach((ex, i) => {
    const a = choices[i];
    if (!Number.isInteger(a) || a < 0 || a >= assignmentCount) throw new Error(`scoreChoices: choice ${i} (item "${ex.id}") is ${a}, not an assignment index below ${assignmentCount}`);
    counts[a]++;
    quality += ex.quality[a];
    cost += ex.cost[a];
    total += reward(ex.quality[a], ex.cost[a], alpha);
  });
  const n = examples.length;
  return { quality: quality / n, cost: cost / n, reward: total / n, counts };
}
