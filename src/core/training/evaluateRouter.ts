// A router's decisions on a set of items, run as episodes: validation during training and held-out evaluation.
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import { reward, type CostNormalizer } from "../metrics/index.ts";
import type { TokenCount } from "../protocols/types.ts";
import { qualityOf, runPool } from "./episodes.ts";

export interface EvaluatedItem {
  item: string;
  assignment: Record<string, string>;
  /** Whether the open models ran with generated adapters. */
  adapters: boolean;
  quality: number;
  cost: number;
  normalisedCost: number;
  /** quality - alpha * normalised cost (unshaped: the reported reward). */
  reward: number;
  tokens: Record<string, TokenCount>;
  answer: string;
}

export interface EvaluateOptions {
  alpha: number;
  /** `generated`: the mean adapters of the low-level router; `none`: the base models. */
  adapters: "generated" | "none";
  normalizer: CostNormalizer;
  /** Episodes at once. Defaults to 1. */
  concurrency?: number;
  signal?: AbortSignal;
  onItem?: (done: number, total: number) => void;
}

/** Greedy routing (`pipeline.decide`) and one episode per item; a failed episode counts as failed, not skipped. */
export async function evaluateRouter(pipeline: HapsPipeline, queries: readonly PreparedQuery[], options: EvaluateOptions): Promise<EvaluatedItem[]> {
  let done = 0;
  return await runPool(queries, options.concurrency ?? 1, async (q) => {
    const assignment = await pipeline.decide(q, options.alpha, options.signal);
    const report = await pipeline.runEpisode(q, assignment, { alpha: options.alpha, adapters: options.adapters, signal: options.signal });
    if (report.stoppedBecause === "aborted") throw options.signal?.reason ?? new Error("evaluation aborted");
    const quality = qualityOf(report);
    const normalisedCost = options.normalizer.normalise(report.cost.total);
    options.onItem?.(++done, queries.length);
    return {
      item: q.request.id!,
      assignment: assignment.choice,
      adapters: report.adapters.length > 0,
      quality,
      cost: report.cost.total,
      normalisedCost,
      reward: reward(quality, normalisedCost, options.alpha),
      tokens: report.tokens,
      answer: report.answer,
    };
  });
}
