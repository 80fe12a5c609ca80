// The train / validation / test splits of a training spec (the paper: 300 / 100 / 100, HotpotQA questions drawn from
// the distractor dev set, MMLU stratified over its subjects). The draw is seeded; an item never sits in two splits.
import { existsSync } from "node:fs";
import { loadCustomJsonl, loadHotpotQa, loadMmluCsv, loadMmluJsonl, type DataProblem, type LoadResult, type TaskItem } from "../data/index.ts";
import { Rng } from "../nn/Rng.ts";
import type { DataSettings } from "./TrainSpec.ts";

export type SplitName = "train" | "valid" | "test";
export const SPLITS: readonly SplitName[] = ["train", "valid", "test"];

export interface Splits {
  train: TaskItem[];
  valid: TaskItem[];
  test: TaskItem[];
  /** Records skipped while loading (malformed, or without a reference answer), with file, line and field. */
  problems: DataProblem[];
}

/** Loads the spec's data and draws the splits. Too few usable items is an error that gives the counts. */
export async function loadSplits(data: DataSettings): Promise<Splits> {
  const problems: DataProblem[] = [];
  const usable = async (file: string): Promise<TaskItem[]> => {
    const result = await loadItems(data.format, file);
    problems.push(...result.problems);
    return result.items.filter((item) => {
      if (item.answer != null && item.answer !== "") return true;
      problems.push({ file, line: item.source?.line, record: item.source?.record, field: "answer", message: "no reference answer: an item without one cannot be rewarded" });
      return false;
    });
  };
  const rng = new Rng(data.seed);
  let splits: Omit<Splits, "problems">;
  if (data.file != null) {
    const pool = drawOrder(await usable(data.file), data.format === "mmlu", rng);
    const need = data.sizes.train + data.sizes.valid + data.sizes.test;
    if (pool.length < need) {
      throw new Error(`${data.file}: ${pool.length} usable items, but the splits need ${need} (train ${data.sizes.train}, valid ${data.sizes.valid}, test ${data.sizes.test})`);
    }
    splits = {
      train: pool.slice(0, data.sizes.train),
      valid: pool.slice(data.sizes.train, data.sizes.train + data.sizes.valid),
      test: pool.slice(data.sizes.train + data.sizes.valid, need),
    };
  } else {
    const take = async (name: SplitName, file: string | undefined): Promise<TaskItem[]> => {
      const size = data.sizes[name];
      if (size === 0) return [];
      if (file == null) throw new Error(`data.${name}File is not set, but sizes.${name} is ${size}`);
      const pool = drawOrder(await usable(file), data.format === "mmlu", rng.fork());
      if (pool.length < size) throw new Error(`${file}: ${pool.length} usable items, but sizes.${name} is ${size}`);
      return pool.slice(0, size);
    };
    splits = { train: await take("train", data.trainFile), valid: await take("valid", data.validFile), test: await take("test", data.testFile) };
  }
  const seen = new Map<string, SplitName>();
  for (const name of SPLITS) {
    for (const item of splits[name]) {
      const other = seen.get(item.id);
      if (other != null) throw new Error(`item "${item.id}" is in both the ${other} and the ${name} split: held-out items must never be trained on`);
      seen.set(item.id, name);
    }
  }
  return { ...splits, problems };
}

async function loadItems(format: DataSettings["format"], file: string): Promise<LoadResult> {
  if (!existsSync(file)) throw new Error(`data file not found: ${file}`);
  switch (format) {
    case "hotpotqa":
      return await loadHotpotQa(file);
    case "mmlu":
      return file.endsWith(".jsonl") ? await loadMmluJsonl(file) : await loadMmluCsv(file);
    case "jsonl":
      return await loadCustomJsonl(file);
  }
}

/**
 * A seeded shuffle; with `stratify` (MMLU) the subjects take turns, each in its own shuffled order, so any prefix of
 * the result covers the subjects in proportion - the paper's stratified sampling.
 */
function drawOrder(items: TaskItem[], stratify: boolean, rng: Rng): TaskItem[] {
  const shuffled = shuffle(items, rng);
  if (!stratify) return shuffled;
  const bySubject = new Map<string, TaskItem[]>();
  for (const item of shuffled) {
    const key = item.subject ?? "";
    bySubject.set(key, [...(bySubject.get(key) ?? []), item]);
  }
  const queues = shuffle([...bySubject.values()], rng);
  const out: TaskItem[] = [];
  for (let round = 0; out.length < items.length; round++) for (const q of queues) if (round < q.length) out.push(q[round]);
  return out;
}

export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
