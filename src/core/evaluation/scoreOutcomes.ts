// What a method achieved on the test items at one cost preference: the same accounting for every method, whether its
// outcomes are action-level rows (the episodes a no-adapter decision runs) or new episodes with adapters.
import { reward, type CostNormalizer } from "../metrics/index.ts";
import { strongCallShare } from "../metrics/routing/index.ts";
import type { TokenCount } from "../protocols/types.ts";
import type { ActionRow } from "../training/ActionDataset.ts";
import type { AssignmentTable, Choice } from "./AssignmentTable.ts";

/** One test item under one method. */
export interface ItemOutcome {
  item: string;
  /** The assignment the method chose; null when it failed before choosing. */
  choice: Choice | null;
  /** The task metric: token F1 or 1/0. */
  quality: number;
  /** Raw cost (tokens times prices per million); null when the method failed on the item. */
  cost: number | null;
  /** Per candidate id: tokens in and out. */
  tokens: Record<string, TokenCount>;
  /** Why the method failed on this item. A failure counts: quality 0 at normalised cost 1, so it never looks cheap. */
  error?: string;
}

export interface MethodScore {
  items: number;
  quality: number;
  normalisedCost: number;
  /** quality - alpha * normalised cost, per item, averaged. */
  reward: number;
  /** Items the method failed on (counted in every mean above). */
  failed: number;
  /** The first few failures with their reasons. */
  failures: { item: string; error: string }[];
  /** How often each assignment was chosen, by label ("failed": no choice was made). */
  assignments: Record<string, number>;
  /** Share of agent calls that went to the costliest candidate (over the items with a choice; 0 when none has one). */
  strongCallShare: number;
  /** Tokens per candidate over all items. */
  tokens: Record<string, TokenCount>;
  /** Mean quality per item group (the keyword benchmark's: small, wide, both, none); absent for data without groups. */
  byGroup?: Record<string, { items: number; quality: number }>;
  /**
   * Per item, in the order scored (the seed's test order, the same for every method): quality and normalised cost
   * as counted above (a failure: 0 and 1). The paired intervals and tests of the report are computed from these.
   */
  perItem: { quality: number[]; cost: number[] };
}

const FAILURES_KEPT = 10;

export function scoreOutcomes(outcomes: readonly ItemOutcome[], normalizer: CostNormalizer, alpha: number, table: AssignmentTable, groups?: ReadonlyMap<string, string>): MethodScore {
  if (outcomes.length === 0) throw new Error("scoreOutcomes: no items");
  let quality = 0;
  let cost = 0;
  let total = 0;
  const failures: MethodScore["failures"] = [];
  const assignments: Record<string, number> = {};
  const tokens: Record<string, TokenCount> = {};
  const byGroup: Record<string, { items: number; quality: number }> = {};
  const perItem: MethodScore["perItem"] = { quality: [], cost: [] };
  for (const o of outcomes) {
    const q = o.error == null ? o.quality : 0;
    const group = groups?.get(o.item);
    if (group != null) {
      const g = (byGroup[group] ??= { items: 0, quality: 0 });
      g.items++;
      g.quality += q;
    }
    const c = o.error == null && o.cost != null ? normalizer.normalise(o.cost) : 1;
    quality += q;
    cost += c;
    perItem.quality.push(q);
    perItem.cost.push(c);
    total += reward(q, c, alpha);
    if (o.error != null) failures.push({ item: o.item, error: o.error });
    const label = o.choice == null ? "failed" : table.label(o.choice);
    assignments[label] = (assignments[label] ?? 0) + 1;
    for (const [model, t] of Object.entries(o.tokens)) {
      const sum = (tokens[model] ??= { input: 0, output: 0 });
      sum.input += t.input;
      sum.output += t.output;
    }
  }
  const n = outcomes.length;
  const chosen = outcomes.flatMap((o) => (o.choice == null ? [] : [o.choice]));
  return {
    items: n,
    quality: quality / n,
    normalisedCost: cost / n,
    reward: total / n,
    failed: failures.length,
    failures: failures.slice(0, FAILURES_KEPT),
    assignments,
    strongCallShare: chosen.length === 0 ? 0 : strongCallShare(chosen.map((c) => table.candidateIndices(c)), table.strongCandidate),
    tokens,
    perItem,
    ...(groups == null ? {} : { byGroup: Object.fromEntries(Object.entries(byGroup).map(([g, v]) => [g, { items: v.items, quality: v.quality / v.items }])) }),
  };
}

/** A row of the action-level data as an outcome. */
export function rowOutcome(row: ActionRow, choice: Choice): ItemOutcome {
  return { item: row.item, choice, quality: row.quality, cost: row.cost, tokens: row.tokens };
}

/** Every item failed for one reason (a method that could not be fitted). */
export function failedOutcomes(items: readonly string[], error: string): ItemOutcome[] {
  return items.map((item) => ({ item, choice: null, quality: 0, cost: null, tokens: {}, error }));
}
