// `haps train`: the paper's Algorithm 3 end to end, reading like it.
//
//   1. splits of the data (train / valid / test), the routing prompt and backbone feature of every item;
//   2. action-level data: every train and valid item under every assignment, no adapters (resumable JSONL);
//   3. the cost normaliser, min-max on the training rows, stored with every checkpoint;
//   4. per seed: warm-up of the high-level router on the action-level data (Sft.ts), then joint RL of the router and
//      the generators on the training items with validation and early stopping (JointRl.ts); the best checkpoint.
//
// Nothing here assumes the embedded models: any GGUF candidates and any data set in a supported format train the same
// way. The same seed on the same machine gives the same numbers.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultConfig } from "../config/defaultConfig.ts";
import type { HapsConfig } from "../config/HapsConfig.ts";
import { formatProblem, type TaskItem } from "../data/index.ts";
import { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import { reward, shapePerformance, type CostNormalizer } from "../metrics/index.ts";
import { defaultCacheDir, ensureDefaultModels } from "../models/defaultModels.ts";
import { Rng } from "../nn/Rng.ts";
import { HapsPolicy } from "../router/HapsPolicy.ts";
import { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import { ActionDataset, actionFingerprint, fitCostNormalizer } from "./ActionDataset.ts";
import { collectActions } from "./collectActions.ts";
import { compareFactorizations, type FactorizationFit } from "./compareFactorizations.ts";
import { choicesOf, prepareAll } from "./episodes.ts";
import { jointRl, rlImproved, type RlResult } from "./JointRl.ts";
import { loadSplits, type Splits } from "./loadSplits.ts";
import { pace, type TrainingProgress } from "./progress.ts";
import { warmUp, type SftResult, type SupervisedItem } from "./Sft.ts";
import type { RlSettings, SftSettings, TrainSpec } from "./TrainSpec.ts";
import { describeFeatureKind } from "../router/FeatureKind.ts";

export interface TrainingOptions {
  /** A runtime to share; one is created (and disposed) otherwise. */
  runtime?: LlamaRuntime;
  /** Episodes at once while collecting the action-level data. Defaults to 1. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
  /** Lines worth showing (what was loaded, skipped, written). Defaults to none. */
  log?: (line: string) => void;
  /** Items already split (a benchmark's own stratified splits); the spec's data is not read then. */
  splits?: Omit<Splits, "problems">;
}

export interface SeedResult {
  seed: number;
  /** The seed's folder: checkpoint/, history.json, config.json (routing with this checkpoint). */
  dir: string;
  checkpoint: string;
  configFile: string;
  sft: SftResult;
  rl: RlResult;
}

export interface TrainingSummary {
  out: string;
  alpha: number;
  actionsFile: string;
  splits: { train: string[]; valid: string[]; test: string[] };
  skippedRecords: number;
  costNormalizer: ReturnType<CostNormalizer["toJSON"]>;
  /** How well each way of scoring assignments fits the action-level data (fitted on train, judged on valid). */
  factorizations: FactorizationFit[] | null;
  seeds: SeedResult[];
  seconds: number;
}

/** Everything shared by the seeds of one run: pipeline, splits, features, action-level data. */
export class TrainingSession {
  private constructor(
    readonly spec: TrainSpec,
    readonly config: HapsConfig,
    readonly runtime: LlamaRuntime,
    private readonly ownsRuntime: boolean,
    readonly pipeline: HapsPipeline,
    readonly splits: Splits,
    readonly dataset: ActionDataset,
    readonly alpha: number,
    private readonly options: TrainingOptions,
  ) {}

  readonly prepared = new Map<string, PreparedQuery>();

  static async open(spec: TrainSpec, options: TrainingOptions = {}): Promise<TrainingSession> {
    const log = options.log ?? (() => {});
    const config = spec.config ?? defaultConfig(await ensureDefaultModels(defaultCacheDir()));
    const runtime = options.runtime ?? (await LlamaRuntime.create({ threads: spec.threads }));
    try {
      const pipeline = await HapsPipeline.create(runtime, config);
      log(`router feature: ${describeFeatureKind(pipeline.feature.kind)}; ${pipeline.feature.reason}`);
      const splits = options.splits != null ? { ...options.splits, problems: [] } : await loadSplits(spec.data);
      if (splits.problems.length > 0) {
        log(`${splits.problems.length} records skipped:`);
        for (const p of splits.problems.slice(0, 10)) log(`  ${formatProblem(p)}`);
        if (splits.problems.length > 10) log(`  ... and ${splits.problems.length - 10} more`);
      }
      log(`splits: ${splits.train.length} train, ${splits.valid.length} valid, ${splits.test.length} test`);
      const dataset = await ActionDataset.open(path.join(spec.out, "actions.jsonl"), actionFingerprint(config));
      const alpha = spec.alpha ?? config.alpha;
      return new TrainingSession(spec, config, runtime, options.runtime == null, pipeline, splits, dataset, alpha, options);
    } catch (error) {
      if (options.runtime == null) await runtime.dispose();
      throw error;
    }
  }

  /** Routing prompt and feature of each item, computed once. */
  async prepare(items: readonly TaskItem[]): Promise<PreparedQuery[]> {
    const missing = items.filter((i) => !this.prepared.has(i.id));
    const started = performance.now();
    let done = 0;
    for (const item of missing) {
      this.options.signal?.throwIfAborted();
      const [[id, q]] = await prepareAll(this.pipeline, [item]);
      this.prepared.set(id, q);
      this.options.onProgress?.({ phase: "prepare", done: ++done, total: missing.length, ...pace(started, done, missing.length) });
    }
    return items.map((i) => this.prepared.get(i.id)!);
  }

  /** The action-level rows of these items, running whatever is missing. */
  async collect(items: readonly TaskItem[]): Promise<void> {
    const queries = await this.prepare(items);
    const added = await collectActions(this.pipeline, this.dataset, queries, {
      concurrency: this.options.concurrency,
      signal: this.options.signal,
      onProgress: this.options.onProgress,
    });
    if (added > 0) this.options.log?.(`action-level data: ${added} episodes run, ${this.dataset.size} rows in ${this.dataset.file}`);
  }

  /** Items with their features and observed outcomes per assignment (quality, normalised cost). */
  supervised(items: readonly TaskItem[], normalizer: CostNormalizer): SupervisedItem[] {
    return items.map((item) => {
      const rows = this.dataset.rows([item.id]);
      if (rows.length === 0) throw new Error(`item "${item.id}" has no action-level data`);
      return {
        id: item.id,
        feature: this.prepared.get(item.id)!.feature,
        outcomes: rows.map((r) => ({ choices: choicesOf(this.pipeline, r.assignment), quality: r.quality, cost: normalizer.normalise(r.cost) })),
      };
    });
  }

  /** Warm-up then joint RL for one seed, on the given training and validation items. */
  async trainSeed(
    seed: number,
    split: { train: readonly TaskItem[]; valid: readonly TaskItem[] },
    dir: string,
    normalizer: CostNormalizer,
    overrides: { rl?: Partial<RlSettings>; sft?: Partial<SftSettings> } = {},
  ): Promise<SeedResult> {
    const { alpha } = this;
    const spec = { ...this.spec, rl: { ...this.spec.rl, ...overrides.rl }, sft: { ...this.spec.sft, ...overrides.sft } };
    const onProgress = (p: TrainingProgress) => this.options.onProgress?.({ ...p, seed });
    await this.collect([...split.train, ...split.valid]);
    const policy = new HapsPolicy({ ...this.pipeline.policy.config, seed });
    const train = this.supervised(split.train, normalizer);
    const valid = this.supervised(split.valid, normalizer);
    const sft = warmUp(policy, { train, valid }, spec.sft, alpha, new Rng(seed), onProgress);
    this.options.log?.(`seed ${seed}: warm-up kept epoch ${sft.bestEpoch} (validation routing value ${sft.bestValidReward?.toFixed(4) ?? "n/a"}, Q/C error ${sft.bestValidError?.toFixed(4) ?? "n/a"})`);

    // The first baseline of each training item: its expected shaped reward without adapters under the warm-started
    // policy, at the temperature RL samples with.
    const head = policy.head;
    const savedTemperature = head.temperature;
    head.temperature = spec.rl.temperature;
    const rlItems = train.map((item) => {
      const dist = head.distribution(item.feature, alpha);
      const expected = dist.assignments.reduce((s, choices, j) => {
        const o = item.outcomes.find((x) => x.choices.every((m, n) => m === choices[n]))!;
        return s + dist.probs[j] * reward(shapePerformance(o.quality), o.cost, alpha);
      }, 0);
      return { prepared: this.prepared.get(item.id)!, baseline: expected, outcomes: item.outcomes };
    });
    head.temperature = savedTemperature;

    const rl = await jointRl({
      pipeline: this.pipeline.withPolicy(policy, normalizer),
      policy,
      train: rlItems,
      valid: split.valid.map((i) => this.prepared.get(i.id)!),
      settings: spec.rl,
      alpha,
      normalizer,
      seed,
      dir,
      extra: { costNormalizer: normalizer.toJSON(), alpha, seed, trainedOn: spec.source },
      signal: this.options.signal,
      onProgress,
    });
    this.options.log?.(`seed ${seed}: best validation reward ${rl.bestValidReward.toFixed(4)} after ${rl.bestAtItems} items (${rl.rollouts} episodes${rl.stoppedEarly ? ", stopped early" : ""})`);
    if (!rlImproved(rl)) this.options.log?.(`seed ${seed}: joint RL did not improve on the warm-up's validation reward${rl.bestAtItems === 0 ? "; the warm-up checkpoint is kept" : ` (the weights after ${rl.bestAtItems} items, equal on validation, are kept)`}`);
    const checkpoint = path.join(dir, "checkpoint");
    const configFile = path.join(dir, "config.json");
    await writeFile(configFile, `${JSON.stringify({ ...this.config, router: { ...this.config.router, mode: "trained", checkpoint } }, null, 2)}\n`);
    await writeFile(path.join(dir, "history.json"), `${JSON.stringify({ seed, sft, rl }, null, 2)}\n`);
    return { seed, dir, checkpoint, configFile, sft, rl };
  }

  async dispose(): Promise<void> {
    this.dataset.close();
    if (this.ownsRuntime) await this.runtime.dispose();
  }
}

/** The whole run of a spec: every seed on the spec's splits. */
export async function runTraining(spec: TrainSpec, options: TrainingOptions = {}): Promise<TrainingSummary> {
  const started = performance.now();
  const session = await TrainingSession.open(spec, options);
  try {
    const { train, valid, test } = session.splits;
    await session.collect([...train, ...valid]);
    const normalizer = fitCostNormalizer(session.dataset.rows(train.map((i) => i.id)));
    let factorizations: FactorizationFit[] | null = null;
    if (valid.length > 0) {
      factorizations = compareFactorizations(session.pipeline.policy.config, session.supervised(train, normalizer), session.supervised(valid, normalizer));
      for (const f of factorizations) {
        options.log?.(`head "${f.factorization}" on the action-level data: validation rmse quality ${f.qualityRmse.toFixed(4)}, cost ${f.costRmse.toFixed(4)}; regret ${Object.entries(f.regret).map(([a, r]) => `${r.toFixed(4)} at alpha ${a}`).join(", ")}`);
      }
    }
    const seeds: SeedResult[] = [];
    for (const seed of spec.seeds) seeds.push(await session.trainSeed(seed, { train, valid }, path.join(spec.out, `seed-${seed}`), normalizer));
    const summary: TrainingSummary = {
      out: spec.out,
      alpha: session.alpha,
      actionsFile: session.dataset.file,
      splits: { train: train.map((i) => i.id), valid: valid.map((i) => i.id), test: test.map((i) => i.id) },
      skippedRecords: session.splits.problems.length,
      costNormalizer: normalizer.toJSON(),
      factorizations,
      seeds,
      seconds: (performance.now() - started) / 1000,
    };
    await writeFile(path.join(spec.out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } finally {
    await session.dispose();
  }
}
