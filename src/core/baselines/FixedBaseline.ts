/**
 * A fixed assignment: every item gets the same model per agent (All Strong, All Weak, or a mixed Teacher/Student
 * pair). It learns nothing and ignores alpha. `FixedBaseline.all(space)` gives one per assignment.
 */
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";
import { checkAlpha } from "./checkRoutingExamples.ts";

export class FixedBaseline implements Baseline {
  readonly weighsCost = false;
  readonly name: string;

  constructor(
    readonly assignment: number,
    label?: string,
  ) {
    if (!Number.isInteger(assignment) || assignment < 0) throw new Error(`FixedBaseline: assignment must be an index >= 0, got ${assignment}`);
    this.name = `Fixed (${label ?? `assignment ${assignment}`})`;
  }

  /** One fixed baseline per assignment of the space, named by its label. */
  static all(space: AssignmentSpace): FixedBaseline[] {
    return space.assignments.map((a, i) => new FixedBaseline(i, a.label));
  }

  fit(_train: readonly RoutingExample[], _valid: readonly RoutingExample[], space: AssignmentSpace, _options: BaselineFitOptions): void {
    if (this.assignment >= space.assignments.length) {
      throw new Error(`FixedBaseline.fit: assignment ${this.assignment} does not exist; the space has ${space.assignments.length}`);
    }
  }

  choose(_example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "FixedBaseline.choose");
    return this.assignment;
  }
}
