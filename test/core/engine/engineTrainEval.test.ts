// Training and evaluation through the engine's process boundary (what the extension will call): specs inline,
// progress streamed as `progress` events, cancellation as a message that stops the work inside the engine, which then
// serves the next request - including the same one again, which resumes from what was written.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { writeKeywordBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { EngineClient, EngineRequestError } from "../../../src/core/engine/EngineClient.ts";
import type { EngineEvents } from "../../../src/core/engine/protocol.ts";
import type { TrainingProgress } from "../../../src/core/training/progress.ts";
import { tempDir } from "../runtime/helpers.ts";

const enginePath = fileURLToPath(new URL("../../../src/core/engine/engineMain.ts", import.meta.url));
const dir = tempDir("engine-train-eval");
const engine = new EngineClient({ enginePath, execArgv: ["--import", "tsx"], runtime: { threads: 1, gpu: false }, env: { HAPS_CACHE_DIR: join(dir, "cache") } });
after(async () => {
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects a request's progress events; `stopAt` aborts the request at the first event it accepts. */
function watch(stopAt?: (p: TrainingProgress) => boolean) {
  const controller = new AbortController();
  const progress: TrainingProgress[] = [];
  return {
    progress,
    options: {
      signal: controller.signal,
      onEvent: <E extends keyof EngineEvents>(event: E, data: EngineEvents[E]) => {
        if (event !== "progress") return;
        progress.push(data as TrainingProgress);
        if (stopAt?.(data as TrainingProgress)) controller.abort();
      },
    },
  };
}

const aborted = (error: unknown) => error instanceof EngineRequestError && error.name === "AbortError";

describe("train and evaluate through the engine", () => {
  let trainSpec: object;
  before(async () => {
    const benchmark = await writeKeywordBenchmark(join(dir, "benchmark"));
    // Two phrasings of every keyword (the context keywords under both code books): 34 items.
    const items = readFileSync(benchmark.dataFile, "utf8").trim().split("\n").filter((l) => /-(0|1)"/.test(l));
    writeFileSync(join(dir, "items.jsonl"), `${items.join("\n")}\n`);
    trainSpec = {
      config: benchmark.configFile,
      data: { format: "jsonl", file: join(dir, "items.jsonl"), sizes: { train: 8, valid: 2, test: 2 }, seed: 3 },
      seeds: [5],
      out: join(dir, "train"),
      sft: { epochs: 5 },
      rl: { epochs: 1, batchSize: 4, validateEvery: 1000, patience: 1 },
    };
  });

  test("train: progress events, cancellation, then the same request resumes and returns the summary", async () => {
    const cancelled = watch((p) => p.phase === "actions" && p.done >= 4);
    await assert.rejects(engine.request("train", { spec: trainSpec }, cancelled.options), aborted);
    const rowsWritten = readFileSync(join(dir, "train", "actions.jsonl"), "utf8").trim().split("\n").length - 1;
    assert.ok(rowsWritten >= 4 && rowsWritten < 40, `stopped part-way through the action-level data (${rowsWritten} rows)`);

    const run = watch();
    const summary = await engine.request("train", { spec: trainSpec }, run.options);
    assert.match(run.progress.find((p) => p.phase === "actions")?.message ?? "", new RegExp(`${rowsWritten} rows already there`), "resumed");
    for (const phase of ["prepare", "actions", "sft", "rl", "validate"]) assert.ok(run.progress.some((p) => p.phase === phase), `a ${phase} event`);
    assert.ok(run.progress.filter((p) => p.phase === "rl").every((p) => p.seed === 5 && p.done <= p.total));
    assert.deepEqual(summary.seeds.map((s) => s.seed), [5]);
    assert.equal(summary.splits.test.length, 2);
    assert.ok(existsSync(join(summary.seeds[0].checkpoint, "manifest.json")));
  });

  test("evaluate: progress events, cancellation, then results, report and charts in outDir", async () => {
    // The training run's data, models and folder: the same splits, and its action rows are reused.
    const { config, data, out } = trainSpec as { config: string; data: object; out: string };
    const spec = { config, data, seeds: [1], methods: ["random", "fixed", "oracle"], ablations: { highLevel: false, lowLevel: false, sharing: false, depths: [] }, work: out };
    const outDir = join(dir, "eval");
    const cancelled = watch((p) => p.phase === "prepare");
    await assert.rejects(engine.request("evaluate", { spec, outDir }, cancelled.options), aborted);
    assert.equal(existsSync(join(outDir, "results.json")), false);

    const run = watch();
    const outcome = await engine.request("evaluate", { spec, outDir }, run.options);
    assert.ok(run.progress.some((p) => p.phase === "eval" && p.done === p.total && p.seed === 1));
    assert.equal(outcome.resultsFile, join(outDir, "results.json"));
    assert.ok(existsSync(outcome.reportFile));
    assert.deepEqual(outcome.charts.map((c) => c.name), ["quality-cost", "routing-curve"]);
    assert.deepEqual(outcome.summary.methods.map((m) => m.name).sort(), ["Fixed (teacher=small, student=small)", "Fixed (teacher=small, student=wide)", "Fixed (teacher=wide, student=small)", "Fixed (teacher=wide, student=wide)", "Oracle", "Random"]);
    const results = JSON.parse(readFileSync(outcome.resultsFile, "utf8"));
    const trained = JSON.parse(readFileSync(join(dir, "train", "summary.json"), "utf8"));
    // The training run's items, redrawn for the evaluation's seed (a `data` spec's splits are drawn per seed), in
    // splits of the same sizes.
    type Splits = { train: string[]; valid: string[]; test: string[] };
    const items = (s: Splits) => [...s.train, ...s.valid, ...s.test].sort();
    const evaluated = results.perSeed[0].splits as Splits;
    assert.deepEqual(items(evaluated), items(trained.splits), "the training run's items");
    for (const part of ["train", "valid", "test"] as const) assert.equal(evaluated[part].length, trained.splits[part].length, part);
    const oracle = outcome.summary.methods.find((m) => m.name === "Oracle")!;
    for (const m of outcome.summary.methods) assert.ok(oracle.reward >= m.reward, `oracle >= ${m.name}`);
  });

  test("a bad request is refused with the field named, and the engine serves on", async () => {
    await assert.rejects(engine.request("evaluate", { spec: { benchmark: { name: "nope" } }, outDir: join(dir, "x") }), /benchmark\.name/);
    await assert.rejects(engine.request("evaluate", { spec: {}, outDir: "" }), /outDir \(the output folder\) is required/);
    await assert.rejects(engine.request("train", { specPath: "a.json", spec: {} }), /give specPath or spec, not both/);
    const info = await engine.request("runtimeInfo", {});
    assert.equal(info.nodeLlamaCppVersion, "3.21.1");
  });
});
