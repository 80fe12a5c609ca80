// The assignment space of one configuration, shared by every method of an evaluation: the baselines' indices
// (buildAssignmentSpace's order, agent 0 varying slowest), the engine's choices (agent id -> candidate id) and the
// labels the report prints ("teacher=small, student=wide"). One table, so that a method's mix, a fixed assignment and
// a row of the action-level data can never disagree about which assignment is which.
import { buildAssignmentSpace, type AssignmentSpace } from "../baselines/index.ts";
import type { HapsConfig } from "../config/HapsConfig.ts";

export type Choice = Readonly<Record<string, string>>;

export class AssignmentTable {
  readonly space: AssignmentSpace;
  /** Index of the candidate the strong-call share counts: the costliest by list price (input + output). */
  readonly strongCandidate: number;

  constructor(config: HapsConfig) {
    this.space = buildAssignmentSpace(
      config.agents.map((a) => a.id),
      // The description is what the router's prompt shows; GraphRouter and IRT-Router read it as the model's profile.
      config.candidates.map((c) => ({ id: c.id, price: c.price, descriptor: c.description?.trim() || `${c.id} model` })),
    );
    const price = (i: number) => config.candidates[i].price.input + config.candidates[i].price.output;
    this.strongCandidate = config.candidates.reduce((best, _, i) => (price(i) > price(best) ? i : best), 0);
  }

  get size(): number {
    return this.space.assignments.length;
  }

  get agents(): readonly string[] {
    return this.space.agents;
  }

  /** Agent id -> candidate id of assignment `index`. */
  choiceAt(index: number): Choice {
    const a = this.space.assignments[index];
    if (a == null) throw new Error(`assignment ${index} does not exist; there are ${this.size}`);
    return Object.fromEntries(this.space.agents.map((agent, n) => [agent, this.space.candidates[a.choices[n]].id]));
  }

  /** The index of a choice (every agent must be assigned a known candidate). */
  indexOf(choice: Choice): number {
    const choices = this.space.agents.map((agent) => {
      const m = this.space.candidates.findIndex((c) => c.id === choice[agent]);
      if (m < 0) throw new Error(`agent "${agent}" is assigned "${String(choice[agent])}", which is not a candidate`);
      return m;
    });
    return this.space.assignments.findIndex((a) => a.choices.every((m, n) => m === choices[n]));
  }

  label(choice: Choice): string {
    return this.space.assignments[this.indexOf(choice)].label;
  }

  /** Candidate index per agent, as strongCallShare counts them. */
  candidateIndices(choice: Choice): number[] {
    return [...this.space.assignments[this.indexOf(choice)].choices];
  }

  /** Every assignment, in the table's order. */
  choices(): Choice[] {
    return this.space.assignments.map((_, i) => this.choiceAt(i));
  }
}
