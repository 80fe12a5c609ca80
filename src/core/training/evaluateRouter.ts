// A router's decisions on a set of items, run as episodes: validation during training and held-out evaluation.
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import type { Assignment } from "../router/Assignment.ts";
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

/**
 * Greedy routing (`pipeline.decide`) and one episode per item; a failed episode counts as failed, not skipped.
 * Bucketed: every item is routed first, then the episodes run grouped by the models they were routed to, `concurrency`
 * at a time (the paper's request bucketing, Appendix E.2: within a bucket the same models serve one episode after
 * another, each agent on a context that keeps its cache). Results come back in the input order.
 */
export async function evaluateRouter(pipeline: HapsPipeline, queries: readonly PreparedQuery[], options: EvaluateOptions): Promise<EvaluatedItem[]> {
  const decisions: { q: PreparedQuery; assignment: Assignment }[] = [];
  for (const q of queries) decisions.push({ q, assignment: await pipeline.decide(q, options.alpha, options.signal) });
  const bucket = (d: (typeof decisions)[number]) => Object.keys(d.assignment.choice).sort().map((agent) => d.assignment.choice[agent]).join("|");
  const order = decisions.map((d, i) => ({ d, i })).sort((x, y) => bucket(x.d).localeCompare(bucket(y.d)) || x.i - y.i);
  let done = 0;
  const results = new Array<EvaluatedItem>(queries.length);
  await runPool(order, options.concurrency ?? 1, async ({ d: { q, assignment }, i }) => {
    const report = await pipeline.runEpisode(q, assignment, { alpha: options.alpha, adapters: options.adapters, signal: options.signal });
    if (report.stoppedBecause === "aborted") throw options.signal?.reason ?? new Error("evaluation aborted");
    const quality = qualityOf(report);
    const normalisedCost = options.normalizer.normalise(report.cost.total);
    options.onItem?.(++done, queries.length);
    results[i] = {
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
  return results;
}
