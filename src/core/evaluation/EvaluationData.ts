// Where an evaluation's items, models and splits come from: a training spec's data with its routing configuration, or
// the keyword benchmark, generated into the work folder, with a stratified split per seed (every keyword trained on,
// phrasings held out; as the proof).
//
// With `data`, the items are the ones `haps train` would load (data.seed draws them) and every seed redraws its own
// split of them, with the spec's sizes, so the spread over seeds covers the choice of items as well as initialisation:
// from one pool (`data.file`) all three splits are redrawn; with files per split the test file stays the test split
// (it is the data's own held-out set) and training and validation items are redrawn from the union of theirs.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { stratifiedSplits, writeKeywordBenchmark, type BenchmarkItem } from "../benchmark/keywordBenchmark.ts";
import { loadHapsConfig } from "../config/HapsConfig.ts";
import type { TaskItem } from "../data/TaskItem.ts";
import type { TrainSpec } from "../training/TrainSpec.ts";
import { Rng } from "../nn/Rng.ts";
import { shuffleInPlace } from "../baselines/trainingHelpers.ts";
import type { EvalSpec } from "./EvalSpec.ts";

export interface SeedSplits {
  train: TaskItem[];
  valid: TaskItem[];
  test: TaskItem[];
}

export interface EvaluationData {
  /** What the report calls the data set. */
  name: string;
  /** The training spec every HAPS training of the evaluation starts from (its `out` is the work folder). */
  trainSpec: TrainSpec;
  /** Items handed to the training session instead of reading `trainSpec.data` (the benchmark's); null: read the data. */
  givenItems: TaskItem[] | null;
  /** The benchmark's items with their keyword group (known truth); null for other data. */
  benchmarkItems: BenchmarkItem[] | null;
  /** The split of a seed; `loaded` is the session's own split of the spec's data. */
  splitsFor(seed: number, loaded: SeedSplits): SeedSplits;
}

export async function openEvaluationData(spec: EvalSpec, work: string): Promise<EvaluationData> {
  const base = { alpha: spec.alpha ?? undefined, seeds: spec.seeds, out: work, threads: spec.threads, sft: spec.sft, rl: spec.rl, source: spec.source };
  if (spec.benchmark == null) {
    const data = spec.data!;
    const file = data.file ?? data.trainFile!;
    return {
      name: `${data.format}: ${path.basename(file)}${data.file == null ? " (+ valid/test files)" : ""}`,
      trainSpec: { ...base, config: spec.config, data },
      givenItems: null,
      benchmarkItems: null,
      splitsFor: (seed, loaded) => redrawSplits(loaded, seed, data.seed, { fixedTest: data.file == null }),
    };
  }
  const b = spec.benchmark;
  const written = await writeBenchmarkFiles(path.join(work, "benchmark"), b.scale);
  const items = written.items.filter((i) => Number(i.id.split("-").at(-1)) < b.phrasings);
  const asItem = (i: BenchmarkItem): TaskItem => ({ id: i.id, task: "multiple-choice", question: i.question, choices: i.choices, answer: i.answer });
  return {
    name: `keyword benchmark (${items.length} items, ${b.phrasings} phrasings per keyword)`,
    trainSpec: {
      ...base,
      config: await loadHapsConfig(written.configFile),
      // Not read: the session is handed the benchmark's items (givenItems).
      data: { format: "jsonl", file: written.dataFile, sizes: { train: 1, valid: 0, test: 0 }, seed: 0 },
    },
    givenItems: items.map(asItem),
    benchmarkItems: items,
    splitsFor: (seed) => {
      const s = stratifiedSplits(items, seed, { train: b.train, valid: b.valid });
      return { train: s.train.map(asItem), valid: s.valid.map(asItem), test: s.test.map(asItem) };
    },
  };
}

/**
 * A seed's split of the loaded items, with the loaded splits' sizes: the items in a seeded order (keyed by the data's
 * seed and the evaluation seed), cut into train, valid and test. With `fixedTest` the test items stay as loaded and
 * only train and valid are redrawn from their union. Ids stay disjoint because the loaded splits are.
 */
export function redrawSplits(loaded: SeedSplits, seed: number, dataSeed: number, options: { fixedTest: boolean }): SeedSplits {
  const rng = Rng.forKey(dataSeed, `evaluation split:${seed}`);
  const byId = (a: TaskItem, b: TaskItem) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  // Sorted first, so that the draw depends on the items and the seeds only, not on the order they were loaded in.
  const pool = shuffleInPlace([...loaded.train, ...loaded.valid, ...(options.fixedTest ? [] : loaded.test)].sort(byId), rng);
  const nTrain = loaded.train.length;
  const nValid = loaded.valid.length;
  return {
    train: pool.slice(0, nTrain),
    valid: pool.slice(nTrain, nTrain + nValid),
    test: options.fixedTest ? [...loaded.test] : pool.slice(nTrain + nValid, nTrain + nValid + loaded.test.length),
  };
}

/**
 * Writes the benchmark into `dir` without ever rewriting a file in place: the files are written to a fresh folder
 * beside it and each one that is new or differs replaces the old by a rename. A runtime that still has the old model
 * mapped (the engine's shared runtime, a previous evaluation) keeps reading intact bytes; truncating a mapped file
 * would crash it.
 */
async function writeBenchmarkFiles(dir: string, scale: number) {
  const fresh = `${dir}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const written = await writeKeywordBenchmark(fresh, { scale });
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(fresh)) {
      const target = path.join(dir, name);
      const bytes = readFileSync(path.join(fresh, name));
      if (!existsSync(target) || !readFileSync(target).equals(bytes)) {
        renameSync(path.join(fresh, name), target);
      }
    }
    return { ...written, dir, configFile: path.join(dir, path.basename(written.configFile)), dataFile: path.join(dir, path.basename(written.dataFile)) };
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}
