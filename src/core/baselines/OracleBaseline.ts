/**
 * Oracle routing: for each item, the assignment whose observed outcome has the highest reward quality - alpha * cost
 * (at alpha = 0, the best quality). It reads the item's own outcomes, which no router can, so it bounds from above
 * what routing alone can achieve on the action-level data (no adapters); HAPS can exceed it only through its adapters.
 * Ties go to the cheaper assignment, then to the lower index.
 */
import { reward } from "../metrics/reward/reward.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";
import { checkAlpha, checkRoutingExamples } from "./checkRoutingExamples.ts";

export class OracleBaseline implements Baseline {
  readonly name = "Oracle";
  readonly weighsCost = true;
  private space: AssignmentSpace | null = null;

  fit(_train: readonly RoutingExample[], _valid: readonly RoutingExample[], space: AssignmentSpace, _options: BaselineFitOptions): void {
    this.space = space;
  }

  choose(example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "OracleBaseline.choose");
    if (this.space === null) throw new Error("OracleBaseline.choose: call fit first");
    checkRoutingExamples([example], this.space, "OracleBaseline.choose");
    let best = 0;
    let bestReward = -Infinity;
    for (let a = 0; a < this.space.assignments.length; a++) {
      const r = reward(example.quality[a], example.cost[a], alpha);
      if (r > bestReward || (r === bestReward && example.cost[a] < example.cost[best])) {
        best = a;
        bestReward = r;
      }
    }
    return best;
  }
}
