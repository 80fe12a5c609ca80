// `haps devcheck`: HAPS must learn wherever a simple router can (issue 15). On the development benchmark
// (devBenchmark.ts: two 2-block candidates with known skills, one of them as the router, so the routing feature is a
// candidate's hidden state and not a bag of words) `haps eval` trains HAPS with the default settings and fits the kNN
// and MLP routers on the same standardised feature; the check then requires, stated here before any run:
//
//   held-out quality at alpha 0 (mean over seeds)   HAPS >= kNN router - 0.05
//   every seed's trained head                       alpha acts (training/alphaChecks.ts, on the validation items)
//
// Exit 1 when either fails. The evaluation's own report (HAPS against kNN on validation, whether RL improved on the
// warm-up, alpha by alpha) is written beside the verdict.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseEvalSpec } from "../evaluation/EvalSpec.ts";
import { runEvaluation } from "../evaluation/runEvaluation.ts";
import type { EvaluationResults } from "../evaluation/types.ts";
import type { TrainingProgress } from "../training/progress.ts";
import { writeDevBenchmark } from "./devBenchmark.ts";

export const DEV_CHECK_MARGINS = { knnTolerance: 0.05 } as const;

export interface DevCheckOptions {
  /** Models, items, action-level data and checkpoints. */
  workDir: string;
  /** Where verdict.json, report.md and the evaluation's results.json go. */
  resultsDir: string;
  /** Defaults to [1, 2, 3]. */
  seeds?: number[];
  /** Split sizes. Default 32 / 16 / 24 (72 items). */
  sizes?: { train: number; valid: number; test: number };
  /** Settings handed to the evaluation (as in an evaluation spec): sft, rl. Defaults to the spec defaults. */
  training?: { sft?: Record<string, unknown>; rl?: Record<string, unknown> };
  threads?: number;
  /** The router's feature. Defaults to "auto", the default setting; "output" compares the other. */
  feature?: "auto" | "output";
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
  log?: (line: string) => void;
}

export interface DevCheckVerdict {
  claim: string;
  margins: typeof DEV_CHECK_MARGINS;
  seeds: number[];
  sizes: { train: number; valid: number; test: number };
  /** Held-out quality at alpha 0 per seed and the mean. */
  haps: { perSeed: number[]; mean: number };
  knn: { perSeed: number[]; mean: number };
  mlp: { perSeed: number[]; mean: number } | null;
  /** Per seed: did alpha act on the trained head; did RL improve on the warm-up; HAPS vs kNN on validation. */
  perSeed: { seed: number; alphaActs: boolean; rlImproved: boolean | null; knnValid: number | null; hapsValid: number | null; hapsWorseOnValid: boolean | null }[];
  passed: { vsKnn: boolean; alphaActs: boolean; all: boolean };
  seconds: number;
}

export async function runDevCheck(options: DevCheckOptions): Promise<DevCheckVerdict> {
  const started = performance.now();
  const seeds = options.seeds ?? [1, 2, 3];
  const sizes = options.sizes ?? { train: 32, valid: 16, test: 24 };
  const total = sizes.train + sizes.valid + sizes.test;
  // 72 items per copy (12 keywords x 6 phrasings); larger sets draw more copies with other fillers and options.
  const bench = await writeDevBenchmark(path.join(options.workDir, "bench"), { phrasings: 6, copies: Math.max(1, Math.ceil(total / 72)), feature: options.feature });
  const spec = await parseEvalSpec(
    {
      config: bench.configFile,
      data: { format: "jsonl", file: bench.dataFile, sizes, seed: 0 },
      seeds,
      alphas: [0, 0.5, 0.8],
      ...(options.threads != null ? { threads: options.threads } : {}),
      ...(options.training?.sft ? { sft: options.training.sft } : {}),
      ...(options.training?.rl ? { rl: options.training.rl } : {}),
      methods: ["haps", "random", "fixed", "oracle", "knn", "mlp"],
      ablations: { highLevel: false, lowLevel: false, sharing: false, depths: [] },
    },
    "development check",
    options.workDir,
  );
  const outcome = await runEvaluation({ ...spec, work: path.join(options.workDir, "eval-work") }, { outDir: path.join(options.workDir, "eval"), signal: options.signal, onProgress: options.onProgress, log: options.log });
  const results = JSON.parse(await readFile(outcome.resultsFile, "utf8")) as EvaluationResults;
  const quality = (kind: string) => {
    const perSeed = results.perSeed.map((s) => {
      const m = s.methods.find((x) => x.kind === kind);
      if (m == null) throw new Error(`runDevCheck: the evaluation has no ${kind} result for seed ${s.seed}`);
      return m.byAlpha["0"].quality;
    });
    return { perSeed, mean: perSeed.reduce((a, b) => a + b, 0) / perSeed.length };
  };
  const haps = quality("haps");
  const knn = quality("knn");
  const perSeed = results.perSeed.map((s) => ({
    seed: s.seed,
    alphaActs: s.alphaCheck?.passed ?? false,
    rlImproved: s.trainings.find((t) => t.name === "HAPS")?.rlImproved ?? null,
    knnValid: s.knnComparison?.knnValidReward ?? null,
    hapsValid: s.knnComparison?.hapsValidReward ?? null,
    hapsWorseOnValid: s.knnComparison?.hapsWorse ?? null,
  }));
  const vsKnn = haps.mean >= knn.mean - DEV_CHECK_MARGINS.knnTolerance;
  const alphaActs = perSeed.every((s) => s.alphaActs);
  const verdict: DevCheckVerdict = {
    claim: "On the development benchmark (a candidate as the router), trained HAPS reaches at least the kNN router's held-out quality minus 0.05 at alpha 0, and alpha acts as a price on every seed's trained head.",
    margins: DEV_CHECK_MARGINS,
    seeds,
    sizes,
    haps,
    knn,
    mlp: results.perSeed.every((s) => s.methods.some((m) => m.kind === "mlp")) ? quality("mlp") : null,
    perSeed,
    passed: { vsKnn, alphaActs, all: vsKnn && alphaActs },
    seconds: (performance.now() - started) / 1000,
  };
  await mkdir(options.resultsDir, { recursive: true });
  await writeFile(path.join(options.resultsDir, "verdict.json"), `${JSON.stringify(verdict, null, 2)}\n`);
  await copyFile(outcome.resultsFile, path.join(options.resultsDir, "results.json"));
  await copyFile(outcome.reportFile, path.join(options.resultsDir, "report.md"));
  return verdict;
}
