/**
 * Random routing: every item gets an assignment drawn uniformly from all M^N (for Teacher and Student, each agent's
 * model is uniform and independent). It reads nothing about the item and ignores alpha.
 *
 * The draw is keyed by the fit seed and the item's id, not taken from a running stream, so an item gets the same
 * assignment however many items came before it or in what order `choose` is called.
 */
import { Rng } from "../nn/Rng.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";
import { checkAlpha } from "./checkRoutingExamples.ts";

export class RandomBaseline implements Baseline {
  readonly name = "Random";
  readonly weighsCost = false;
  private seed: number | null = null;
  private count = 0;

  fit(_train: readonly RoutingExample[], _valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void {
    if (space.assignments.length === 0) throw new Error("RandomBaseline.fit: the space has no assignments");
    this.seed = options.rng.nextUint32();
    this.count = space.assignments.length;
  }

  choose(example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "RandomBaseline.choose");
    if (this.seed === null) throw new Error("RandomBaseline.choose: call fit first");
    return Rng.forKey(this.seed, example.id).int(this.count);
  }
}
