// HAPS and the ablations that need a training of their own, per seed: each is `TrainingSession.trainSeed` (warm-up,
// then joint RL) on the seed's training and validation items, with one change - no adapters in RL (without the
// low-level router), private trunks (without parameter sharing), adapters on the last k layers (LoRA depth). Every run
// shares the session's features and action-level data; a run whose generator differs gets a session of its own over
// the same data file (the rows do not depend on the generator, and all of them exist before any run starts).
import path from "node:path";
import { loadCheckpoint } from "../checkpoint/checkpoint.ts";
import type { HapsConfig } from "../config/HapsConfig.ts";
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { CostNormalizer } from "../metrics/index.ts";
import type { HapsPolicy } from "../router/HapsPolicy.ts";
import { TrainingSession, type SeedResult, type TrainingOptions } from "../training/Trainer.ts";
import type { RlSettings, SftSettings } from "../training/TrainSpec.ts";
import { EpisodeRunner } from "./EpisodeRunner.ts";
import type { SeedSplits } from "./EvaluationData.ts";

/** One training of HAPS or a variant of it. */
export interface RunVariant {
  /** The name the report gives it. */
  name: string;
  /** Its folder under the seed's. */
  slug: string;
  /** Changes to the configuration's generator (shareTrunk, lastLayers). */
  generator?: Partial<HapsConfig["generator"]>;
  /** Changes to the RL settings (adapters, or a configuration of HAPS's search). */
  rl?: Partial<RlSettings>;
  /** Changes to the warm-up settings (a configuration of HAPS's search). */
  sft?: Partial<SftSettings>;
}

export interface TrainedRun {
  variant: RunVariant;
  seed: number;
  policy: HapsPolicy;
  /** The run's configuration deciding with its policy, cost normalised on the seed's training rows. */
  pipeline: HapsPipeline;
  /** Its episodes with its generated adapters. */
  runner: EpisodeRunner;
  result: SeedResult;
  seconds: number;
}

export class HapsRuns {
  private readonly sessions = new Map<string, TrainingSession>();

  constructor(
    private readonly main: TrainingSession,
    private readonly options: Pick<TrainingOptions, "concurrency" | "signal" | "onProgress" | "log">,
  ) {}

  /** Trains `variant` for `seed` (validating on the training items when the split has no validation items). */
  async train(variant: RunVariant, seed: number, split: SeedSplits, normalizer: CostNormalizer, seedDir: string): Promise<TrainedRun> {
    const session = await this.sessionFor(variant);
    const started = performance.now();
    this.options.log?.(`seed ${seed}: training ${variant.name}`);
    const valid = split.valid.length > 0 ? split.valid : split.train;
    const result = await session.trainSeed(seed, { train: split.train, valid }, path.join(seedDir, variant.slug), normalizer, { rl: variant.rl, sft: variant.sft });
    const policy = (await loadCheckpoint(result.checkpoint, session.pipeline.policy.config)).policy;
    const pipeline = session.pipeline.withPolicy(policy, normalizer);
    return {
      variant,
      seed,
      policy,
      pipeline,
      runner: new EpisodeRunner(pipeline, { concurrency: this.options.concurrency, signal: this.options.signal }),
      result,
      seconds: (performance.now() - started) / 1000,
    };
  }

  async dispose(): Promise<void> {
    for (const session of this.sessions.values()) await session.dispose();
    this.sessions.clear();
  }

  private async sessionFor(variant: RunVariant): Promise<TrainingSession> {
    if (variant.generator == null || Object.keys(variant.generator).length === 0) return this.main;
    const key = JSON.stringify(variant.generator);
    let session = this.sessions.get(key);
    if (session == null) {
      const config: HapsConfig = { ...this.main.config, generator: { ...this.main.config.generator, ...variant.generator } };
      // Its split is the main session's (passed per seed), so its own "splits: 0 train ..." line would only mislead.
      const log = this.options.log;
      session = await TrainingSession.open(
        { ...this.main.spec, config },
        { ...this.options, log: log && ((line) => void (line.startsWith("splits: ") || log(line))), runtime: this.main.runtime, splits: { train: [], valid: [], test: [] } },
      );
      // The routing feature depends only on the router and the item: reuse what the main session computed.
      for (const [id, q] of this.main.prepared) session.prepared.set(id, q);
      this.sessions.set(key, session);
    }
    return session;
  }
}
