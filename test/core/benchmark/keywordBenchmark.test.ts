// The keyword benchmark's known truth, on the real models it generates (real llama.cpp generation under the JSON
// grammar, parsed and scored): each assignment answers exactly the items its Student knows, and a rank-1 update of
// the last o_proj - the low-level router's target - fixes a keyword no model knows without touching the others.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { answersWithoutAdapter, benchmarkItems, KEYWORD_GROUPS, KEYWORD_LETTERS, KEYWORDS, stratifiedSplits, writeKeywordBenchmark, type WrittenBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { loadHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { allAssignments, qualityOf } from "../../../src/core/training/episodes.ts";
import type { LoraAdapter } from "../../../src/core/adapters/types.ts";
import { tempDir } from "../runtime/helpers.ts";

test("items: every keyword in every phrasing, no answer is the guess letter A, splits are disjoint and cover every keyword", () => {
  const items = benchmarkItems();
  assert.equal(items.length, KEYWORDS.length * 12);
  assert.deepEqual(benchmarkItems(), items, "seeded: the same items every time");
  assert.ok(items.every((i) => i.answer !== "A" && i.answer === KEYWORD_LETTERS[i.keyword] && i.question.includes(i.keyword)));
  for (const seed of [1, 2]) {
    const s = stratifiedSplits(items, seed);
    const ids = [...s.train, ...s.valid, ...s.test].map((i) => i.id);
    assert.equal(new Set(ids).size, items.length);
    for (const k of KEYWORDS) {
      assert.equal(s.train.filter((i) => i.keyword === k).length, 6);
      assert.equal(s.test.filter((i) => i.keyword === k).length, 4);
    }
  }
  assert.notDeepEqual(stratifiedSplits(items, 1).test.map((i) => i.id), stratifiedSplits(items, 2).test.map((i) => i.id));
});

describe("the keyword benchmark on its generated models", () => {
  let runtime: LlamaRuntime;
  let benchmark: WrittenBenchmark;
  let pipeline: HapsPipeline;
  before(async () => {
    benchmark = await writeKeywordBenchmark(path.join(tempDir("keyword"), "b"));
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    pipeline = await HapsPipeline.create(runtime, await loadHapsConfig(benchmark.configFile));
  });
  after(async () => {
    await runtime.dispose();
  });

  test("without adapters each assignment answers exactly the items its Student knows (the construction)", async () => {
    // Two phrasings of every keyword under all four assignments.
    const items = benchmark.items.filter((i) => /-(0|5)$/.test(i.id));
    for (const item of items) {
      const q = await pipeline.prepare({ id: item.id, question: item.question, choices: item.choices, gold: item.answer });
      for (const a of allAssignments(pipeline)) {
        const report = await pipeline.runEpisode(q, pipeline.fixedAssignment(a), { adapters: "none" });
        const expected = answersWithoutAdapter(item, a);
        assert.equal(qualityOf(report), expected ? 1 : 0, `${item.id} under ${a.teacher}/${a.student}: answered ${report.answer}`);
        assert.equal(report.answer, expected ? item.answer : "A");
        assert.equal(report.stoppedBecause, "submitted");
      }
    }
  });

  test("a rank-1 update of the last o_proj teaches the small model a keyword no model knows, and leaves the others as they were", async () => {
    const [unknown] = KEYWORD_GROUPS.none;
    const known = KEYWORD_GROUPS.small[0];
    const model = pipeline.policy.config.candidates.find((c) => c.id === "small")!;
    const shape = model.oProj!.at(-1)!;
    // Dimensions as skillModels.ts lays them out: constant 0, keywords 1..K, letter scores after them.
    const keywordDim = 1 + KEYWORDS.indexOf(unknown);
    const scoreDim = 1 + KEYWORDS.length + ["A", "B", "C", "D"].indexOf(KEYWORD_LETTERS[unknown]);
    const a = new Float32Array(shape.inWidth);
    const b = new Float32Array(shape.outWidth);
    a[keywordDim] = 1;
    b[scoreDim] = 3;
    const adapter: LoraAdapter = { architecture: model.architecture!, alpha: 1, layers: [{ layer: shape.layer, inWidth: shape.inWidth, outWidth: shape.outWidth, rank: 1, a, b }] };
    const run = async (keyword: string, withAdapter: boolean) => {
      const item = benchmark.items.find((i) => i.keyword === keyword)!;
      const q = await pipeline.prepare({ id: item.id, question: item.question, choices: item.choices, gold: item.answer });
      const report = await pipeline.runEpisode(q, pipeline.fixedAssignment({ teacher: "small", student: "small" }), { adapters: withAdapter ? { student: adapter, teacher: adapter } : "none" });
      return qualityOf(report);
    };
    assert.equal(await run(unknown, false), 0);
    assert.equal(await run(unknown, true), 1);
    assert.equal(await run(known, true), 1);
  });
});
