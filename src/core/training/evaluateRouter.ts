// A router's decisions on a set of items, run as episodes: validation during training and held-out evaluation.
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import type { Assignment } from "../router/Assignment.ts";
import { reward, type CostNormalizer } from "../metrics/index.ts";
import type { TokenCount } from "../protocols/types.ts";
import { qualityOf } from "./episodes.ts";

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
 * Bucketed (the paper's request bucketing, Appendix E.2): the episodes run grouped by the models they were routed to,
 * `concurrency` at a time, so that within a bucket the same models serve one episode after another, each agent on a
 * context that keeps its cache. Results come back in the input order.
 *
 * A trained router decides from the prepared feature at once, so every item is decided first and the episodes start in
 * bucket order as before (training's validation and the proof run exactly as they did). A zero-shot router reads each
 * decision from the router LLM (milliseconds each: a serial tenth of a 100-item evaluation on the bench's models), on
 * the router model while the episodes run on the candidates, so its decisions are read while the first episodes run:
 * an episode slot that frees takes the next decided item of the bucket it last ran, else the decided item first in
 * bucket order. The first failure (of the routing or an episode) stops new starts and is thrown.
 */
export async function evaluateRouter(pipeline: HapsPipeline, queries: readonly PreparedQuery[], options: EvaluateOptions): Promise<EvaluatedItem[]> {
  let done = 0;
  const results = new Array<EvaluatedItem>(queries.length);
  const queue = new DecidedQueue();
  let failed: { error: unknown } | null = null;
  const routeAll = async () => {
    try {
      for (let i = 0; i < queries.length && failed == null; i++) {
        const assignment = await pipeline.decide(queries[i], options.alpha, options.signal);
        queue.add({ q: queries[i], assignment, i, bucket: bucketOf(assignment) });
      }
    } catch (error) {
      failed ??= { error };
    } finally {
      queue.close();
    }
  };
  const routing = routeAll();
  // A trained router's decisions are all in before the first episode starts (see above).
  if (pipeline.routerMode !== "zero-shot") await routing;
  const slot = async () => {
    let last: string | null = null;
    for (let d = await queue.take(last); d != null && failed == null; d = await queue.take(last)) {
      last = d.bucket;
      try {
        results[d.i] = await evaluateOne(pipeline, d.q, d.assignment, options);
        options.onItem?.(++done, queries.length);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all([routing, ...Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, queries.length)) }, slot)]);
  if (failed != null) throw (failed as { error: unknown }).error;
  return results;
}

async function evaluateOne(pipeline: HapsPipeline, q: PreparedQuery, assignment: Assignment, options: EvaluateOptions): Promise<EvaluatedItem> {
  const report = await pipeline.runEpisode(q, assignment, { alpha: options.alpha, adapters: options.adapters, signal: options.signal });
  if (report.stoppedBecause === "aborted") throw options.signal?.reason ?? new Error("evaluation aborted");
  const quality = qualityOf(report);
  const normalisedCost = options.normalizer.normalise(report.cost.total);
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
}

/** The models an assignment runs, agents in name order: items with the same key form a bucket. */
export function bucketOf(assignment: Assignment): string {
  return Object.keys(assignment.choice)
    .sort()
    .map((agent) => assignment.choice[agent])
    .join("|");
}

export interface Decided {
  q: PreparedQuery;
  assignment: Assignment;
  i: number;
  bucket: string;
}

/** Decided items not yet started, handed out bucket by bucket; `take` waits while the routing is still deciding. */
export class DecidedQueue {
  private readonly pending: Decided[] = [];
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  add(d: Decided): void {
    this.pending.push(d);
    this.waiting.shift()?.();
  }

  close(): void {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** The next item of bucket `last` if one is decided, else the first in (bucket, input) order; null when all are taken. */
  async take(last: string | null): Promise<Decided | null> {
    while (this.pending.length === 0) {
      if (this.closed) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let at = last == null ? -1 : this.pending.findIndex((d) => d.bucket === last);
    if (at < 0) {
      at = 0;
      for (let k = 1; k < this.pending.length; k++) {
        const [a, b] = [this.pending[k], this.pending[at]];
        const order = a.bucket.localeCompare(b.bucket) || a.i - b.i;
        if (order < 0) at = k;
      }
    }
    return this.pending.splice(at, 1)[0];
  }
}
