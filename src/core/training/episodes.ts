// Small pieces every training and evaluation loop shares: items as requests, a report's task metric, the assignment
// space, and running work on a few concurrent contexts.
import type { TaskItem } from "../data/TaskItem.ts";
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { EpisodeReport, EpisodeRequest, PreparedQuery } from "../episode/types.ts";

/** A dataset item as an episode request with its reference answer. */
export function requestFor(item: TaskItem): EpisodeRequest {
  return { id: item.id, question: item.question, context: item.context, choices: item.choices, gold: item.answer };
}

/** The task metric of a scored report: token F1 (search QA) or 1/0 (multiple choice). */
export function qualityOf(report: EpisodeReport): number {
  const m = report.metrics;
  if (m == null) throw new Error(`episode ${report.id ?? ""} has no reference answer to score against`);
  return "f1" in m ? m.f1 : m.correct;
}

/** Every assignment (agent id -> candidate id) in the router head's enumeration order. */
export function allAssignments(pipeline: HapsPipeline): Record<string, string>[] {
  const head = pipeline.policy.head;
  return head.enumerate().map((choices) => Object.fromEntries(head.agents.map((agent, n) => [agent, head.candidates[choices[n]]])));
}

/** Agent id -> candidate id as the head's candidate indices. */
export function choicesOf(pipeline: HapsPipeline, assignment: Record<string, string>): number[] {
  const head = pipeline.policy.head;
  return head.agents.map((agent) => head.candidates.indexOf(assignment[agent]));
}

/** Prepares every item once (routing prompt and backbone feature), in order. */
export async function prepareAll(pipeline: HapsPipeline, items: readonly TaskItem[], signal?: AbortSignal): Promise<Map<string, PreparedQuery>> {
  const prepared = new Map<string, PreparedQuery>();
  for (const item of items) {
    signal?.throwIfAborted();
    prepared.set(item.id, await pipeline.prepare(requestFor(item)));
  }
  return prepared;
}

/**
 * Runs `work` on every element with at most `concurrency` at a time (episodes on different contexts of the same
 * runtime), in order of start; results keep the input order. The first failure stops new starts and is thrown.
 */
export async function runPool<T, R>(elements: readonly T[], concurrency: number, work: (element: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(elements.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed == null && next < elements.length) {
      const i = next++;
      try {
        results[i] = await work(elements[i], i);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, elements.length)) }, worker));
  if (failed != null) throw failed;
  return results;
}
