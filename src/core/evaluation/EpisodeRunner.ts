// Episodes with a trained policy's generated adapters: what the methods that cannot be read from the action-level
// data (HAPS and its ablations with adapters) run on the test items.
//
// An episode depends on the item, the assignment and the adapters, the adapters on the policy and the item's feature,
// and decoding is greedy: so each (item, assignment) runs once per policy, and every method or cost regime that
// chooses it reads that outcome (alpha only labels an episode's report). HAPS at alpha 0 and "without the high-level
// router, fixed X" share the episodes where HAPS chose X - exactly as the no-adapter methods share the action rows.
//
// An episode that throws counts as failed (quality 0; see scoreOutcomes), never as skipped; only cancellation stops
// the run.
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import { qualityOf, runPool } from "../training/episodes.ts";
import type { Choice } from "./AssignmentTable.ts";
import type { ItemOutcome } from "./scoreOutcomes.ts";

export interface EpisodeRunnerOptions {
  /** Episodes at once. Defaults to 1. */
  concurrency?: number;
  signal?: AbortSignal;
}

export class EpisodeRunner {
  private readonly outcomes = new Map<string, Promise<ItemOutcome>>();
  /** Episodes actually run (not read from the cache). */
  ran = 0;

  /** `pipeline` decides nothing here; it must carry the policy whose adapters are meant (HapsPipeline.withPolicy). */
  constructor(
    private readonly pipeline: HapsPipeline,
    private readonly options: EpisodeRunnerOptions = {},
  ) {}

  /** The outcome of each (query, choice), in order; `onItem` after each one. */
  async run(pairs: readonly { query: PreparedQuery; choice: Choice }[], onItem?: () => void): Promise<ItemOutcome[]> {
    return await runPool(pairs, this.options.concurrency ?? 1, async ({ query, choice }) => {
      const id = query.request.id!;
      const key = `${id}\u0000${Object.entries(choice).sort(([a], [b]) => a.localeCompare(b)).map(([a, m]) => `${a}=${m}`).join("\u0000")}`;
      let outcome = this.outcomes.get(key);
      if (outcome == null) {
        outcome = this.episode(query, choice);
        this.outcomes.set(key, outcome);
        // A cancelled episode must not be remembered as the item's outcome.
        outcome.catch(() => this.outcomes.delete(key));
      }
      const result = await outcome;
      onItem?.();
      return result;
    });
  }

  private async episode(query: PreparedQuery, choice: Choice): Promise<ItemOutcome> {
    const { signal } = this.options;
    signal?.throwIfAborted();
    const item = query.request.id!;
    try {
      const report = await this.pipeline.runEpisode(query, this.pipeline.fixedAssignment({ ...choice }), { adapters: "generated", signal });
      if (report.stoppedBecause === "aborted") throw signal?.reason ?? new Error("episode aborted");
      this.ran++;
      return { item, choice, quality: qualityOf(report), cost: report.cost.total, tokens: report.tokens };
    } catch (error) {
      if (signal?.aborted) throw error;
      this.ran++;
      return { item, choice, quality: 0, cost: null, tokens: {}, error: (error as Error).message };
    }
  }
}
