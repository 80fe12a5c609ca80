// Runs every (item, assignment) the dataset does not hold yet, without adapters, and appends each row as it finishes.
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import type { ActionDataset } from "./ActionDataset.ts";
import { allAssignments, qualityOf, runPool } from "./episodes.ts";
import { pace, type TrainingProgress } from "./progress.ts";

export interface CollectOptions {
  /** Episodes run at once (each on its own context). Defaults to 1. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
}

/** Returns how many rows were added. An aborted episode is never written: its data would be wrong. */
export async function collectActions(pipeline: HapsPipeline, dataset: ActionDataset, queries: readonly PreparedQuery[], options: CollectOptions = {}): Promise<number> {
  const assignments = allAssignments(pipeline);
  const todo = queries.flatMap((q) => assignments.filter((a) => !dataset.has(q.request.id!, a)).map((a) => ({ q, a })));
  const started = performance.now();
  let done = 0;
  if (todo.length === 0) return 0;
  options.onProgress?.({ phase: "actions", done: 0, total: todo.length, message: `${dataset.size} rows already there, ${todo.length} to run` });
  await runPool(todo, options.concurrency ?? 1, async ({ q, a }) => {
    options.signal?.throwIfAborted();
    const report = await pipeline.runEpisode(q, pipeline.fixedAssignment(a), { adapters: "none", signal: options.signal });
    if (report.stoppedBecause === "aborted") throw options.signal?.reason ?? new Error("episode aborted");
    dataset.append({
      item: q.request.id!,
      assignment: a,
      quality: qualityOf(report),
      tokens: report.tokens,
      cost: report.cost.total,
      answer: report.answer,
      stoppedBecause: report.stoppedBecause,
      ms: report.timings.totalMs,
    });
    done++;
    options.onProgress?.({ phase: "actions", done, total: todo.length, ...pace(started, done, todo.length) });
  });
  return todo.length;
}
