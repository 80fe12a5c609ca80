// evaluateRouter: the routing runs while the first episodes do, and concurrent episodes give the same results as one
// at a time (real llama.cpp episodes on the keyword benchmark's generated models); the order the episode slots take
// decided items in (bucket by bucket) is checked on the queue itself.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { writeKeywordBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { loadHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import type { PreparedQuery } from "../../../src/core/episode/types.ts";
import { CostNormalizer } from "../../../src/core/metrics/index.ts";
import type { Assignment } from "../../../src/core/router/Assignment.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { DecidedQueue, evaluateRouter, type Decided } from "../../../src/core/training/evaluateRouter.ts";
import { tempDir } from "../runtime/helpers.ts";

describe("evaluateRouter on real episodes", () => {
  let runtime: LlamaRuntime;
  let pipeline: HapsPipeline;
  const queries: PreparedQuery[] = [];
  const dir = tempDir("evaluate-router");
  before(async () => {
    const benchmark = await writeKeywordBenchmark(path.join(dir, "keyword"));
    runtime = await LlamaRuntime.create({ threads: 1, gpu: false });
    pipeline = await HapsPipeline.create(runtime, await loadHapsConfig(benchmark.configFile));
    for (const item of benchmark.items.slice(0, 9)) queries.push(await pipeline.prepare({ id: item.id, question: item.question, choices: item.choices, gold: item.answer }));
  });
  after(async () => {
    await runtime?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("3 episodes at once (routing alongside) give one at a time's results, in the input order", async () => {
    const normalizer = new CostNormalizer().fit([0, 1e-4]);
    const progress: number[] = [];
    const one = await evaluateRouter(pipeline, queries, { alpha: 0, adapters: "generated", normalizer });
    const three = await evaluateRouter(pipeline, queries, { alpha: 0, adapters: "generated", normalizer, concurrency: 3, onItem: (done, total) => progress.push(done * 100 + total) });
    assert.deepEqual(three, one);
    assert.deepEqual(one.map((r) => r.item), queries.map((q) => q.request.id));
    assert.deepEqual(progress, queries.map((_, k) => (k + 1) * 100 + queries.length), "onItem once per item, counting up");
    assert.ok(one.every((r) => r.adapters && r.answer.length > 0), "episodes ran with generated adapters and answered");
  });

  test("an aborted evaluation is thrown, the routing's abort included", async () => {
    const normalizer = new CostNormalizer().fit([0, 1e-4]);
    const controller = new AbortController();
    controller.abort(new Error("stopped by the test"));
    await assert.rejects(evaluateRouter(pipeline, queries, { alpha: 0, adapters: "generated", normalizer, concurrency: 2, signal: controller.signal }), /stopped by the test/);
  });
});

function decided(i: number, bucket: string): Decided {
  return { q: {} as PreparedQuery, assignment: {} as Assignment, i, bucket };
}

test("decided items go out bucket by bucket: a slot keeps its bucket while it has items, else takes the first in bucket order", async () => {
  const queue = new DecidedQueue();
  const waiting = queue.take(null);
  queue.add(decided(0, "b"));
  assert.equal((await waiting)?.i, 0, "a waiting slot takes the first decided item");
  queue.add(decided(1, "a"));
  queue.add(decided(2, "b"));
  queue.add(decided(3, "a"));
  assert.equal((await queue.take("b"))?.i, 2, "the slot's own bucket first");
  assert.equal((await queue.take("b"))?.i, 1, "then the first bucket, first item");
  assert.equal((await queue.take("a"))?.i, 3);
  const last = queue.take("a");
  queue.close();
  assert.equal(await last, null, "none once routing has ended and all are taken");
});
