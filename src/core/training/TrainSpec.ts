// `haps train --spec FILE`: what to train on, with which models, and how. One JSON file; paths in it are relative
// to the file. Every field is documented here with its default; an invalid spec is refused with every wrong field
// named (and a JSON syntax error with its line and column).
import path from "node:path";
import { z } from "zod";
import { ConfigError, loadHapsConfig, parseHapsConfig, type HapsConfig } from "../config/HapsConfig.ts";
import { readJsonFile } from "../config/readJsonFile.ts";

const count = z.number().int().nonnegative();

const sizes = z
  .object({
    /** Items to train on. Defaults to 300 (the paper). */
    train: z.number().int().positive().default(300),
    /** Items for validation (early stopping, checkpoint choice). Defaults to 100 (the paper). */
    valid: count.default(100),
    /** Held-out items for the final evaluation; never seen in training. Defaults to 100 (the paper). */
    test: count.default(100),
  })
  .strict();

const data = z
  .object({
    /** `hotpotqa` (JSON array or jsonl), `mmlu` (jsonl, or the CSV folder or file) or `jsonl` (our own format). */
    format: z.enum(["hotpotqa", "mmlu", "jsonl"]),
    /** One pool of items, shuffled (seeded) and cut into the three splits. */
    file: z.string().min(1).optional(),
    /** Or one file per split (each shuffled and cut to its size). */
    trainFile: z.string().min(1).optional(),
    validFile: z.string().min(1).optional(),
    testFile: z.string().min(1).optional(),
    sizes: sizes.default({ train: 300, valid: 100, test: 100 }),
    /** Seed of the shuffle that draws the splits. Defaults to 0. */
    seed: z.number().int().default(0),
  })
  .strict()
  .superRefine((d, ctx) => {
    const perSplit = d.trainFile != null || d.validFile != null || d.testFile != null;
    if (d.file != null && perSplit) ctx.addIssue({ code: "custom", message: "give either file or trainFile/validFile/testFile, not both", path: ["file"] });
    if (d.file == null && d.trainFile == null) ctx.addIssue({ code: "custom", message: "give file (one pool) or trainFile (one file per split)", path: ["file"] });
  });

const sft = z
  .object({
    /**
     * `tuples`: regress the head's predicted quality and normalised cost of every assignment to what the
     * action-level data observed (what lets alpha act at query time); `best`: cross-entropy on each item's
     * best-reward assignment, ties broken uniformly at random (the paper's warm-up). Defaults to `tuples`.
     */
    target: z.enum(["tuples", "best"]).default("tuples"),
    /** With `best`: weigh each label by the inverse frequency of its assignment. Defaults to false. */
    reweight: z.boolean().default(false),
    /**
     * Passes over the training items, or `auto`: enough for 1600 optimiser steps, at least 200 (400 epochs of 32 items,
     * 200 of 300). The epoch with the best validation criterion is kept, so more epochs cost only time. Chosen on the
     * development benchmark (docs/defaults): at 32 items the kept epoch came at up to 1588 steps (400 epochs tried), at
     * 300 items at 6118-7068 steps (200 epochs tried, lr 1e-2). Defaults to `auto`.
     */
    epochs: z.union([z.literal("auto"), z.number().int().nonnegative()]).default("auto"),
    /** Items per optimiser step. Defaults to 8. */
    batchSize: z.number().int().positive().default(8),
    /**
     * Adam step size. Defaults to 1e-2: on the development benchmark's 32 training items the kept validation error of
     * Q and C (mean over seeds 1-3) was 0.0254 at 1e-3, 0.0189 at 3e-3, 0.0122 at 1e-2, 0.0075 at 3e-2; at 300 items
     * every rate reached about 4e-5 (docs/defaults). 1e-2 rather than 3e-2: the larger rate's kept epochs spread from
     * 34 to 400, a sign of a noisier run.
     */
    lr: z.number().positive().default(1e-2),
  })
  .strict();

const rl = z
  .object({
    /**
     * Passes over the training items, or `auto`: enough to see 640 training items, at least 3 (the paper's reference
     * code): 20 epochs of 32 items, 3 of 300. On the development benchmark's 32 items RL first beat the warm-up after 192
     * items and reached its best (validation 1.000 from 0.625) after 492; 3 epochs (96 items) never improved on it
     * (docs/defaults). Defaults to `auto`.
     */
    epochs: z.union([z.literal("auto"), z.number().int().nonnegative()]).default("auto"),
    /** Items per optimiser step. Defaults to 4. */
    batchSize: z.number().int().positive().default(4),
    /**
     * Adam step size of the high-level router (head and shared trunk) at the start; it decays linearly to
     * `lr * lrEnd` (the reference code's LinearLR). Small: the warm-up has already fitted the routing. Defaults to 3e-4.
     */
    lr: z.number().positive().default(3e-4),
    /**
     * Plain-SGD step size of the LoRA generators' own layers (the paper, too, gives them a step size of their own;
     * why SGD: src/core/nn/Sgd.ts), decaying the same way. Defaults to 2e-2: on the development benchmark's 32 items,
     * with the automatic epochs and patience, RL beat the warm-up on seeds 1-3 at 2e-2 and on none at 6e-3 (docs/defaults).
     */
    generatorLr: z.number().positive().default(2e-2),
    lrEnd: z.number().positive().max(1).default(0.1),
    /** Decoupled weight decay (AdamW). Defaults to 0. */
    weightDecay: z.number().nonnegative().default(0),
    /** Gradient-norm clip per step of the router's gradients. Defaults to 1. */
    maxGradNorm: z.number().positive().default(1),
    /** Exploration noise of the generated LoRA parameters (std of the Gaussian policy). Defaults to 0.5. */
    sigma: z.number().positive().default(0.5),
    /**
     * Which LoRA factor a rollout explores: `b` (A stays the generated down-projection, as LoRA keeps A random and
     * learns B), `a`, `alternate` (A or B, drawn per rollout) or `both`. Noise on both factors of a bilinear update
     * defeats antithetic pairs (see ExploredFactors); on the keyword benchmark exploring A as well broke the items
     * the models already knew. Defaults to `b`.
     */
    explore: z.enum(["a", "b", "alternate", "both"]).default("b"),
    /** Weight of the penalty on the squared norm of the generated B factors (see LoraGenerator.backwardNormPenalty). Defaults to 0.05. */
    bPenalty: z.number().nonnegative().default(0.05),
    /** Whether the low-level router takes part (false: the no-adapter ablation trains the head alone). Defaults to true. */
    adapters: z.boolean().default(true),
    /** Router temperature while sampling assignments. Defaults to 1. */
    temperature: z.number().positive().default(1),
    /**
     * Probability of running an item again whose last antithetic pair was right on both episodes ("settled"): such a
     * pair's central difference is zero, so its two episodes teach the generators nothing, and below 1 the budget goes
     * to the items still wrong or unsure (every item stays in each epoch's order and the anchor still visits it; the
     * validation cadence and the epochs still count it). 1 runs every item every time, as the paper does. On the keyword
     * benchmark's development seeds 0.25 let the same wall time buy about twice the epochs (docs/proof-dev).
     * Defaults to 1.
     */
    settledRevisit: z.number().min(0).max(1).default(1),
    /**
     * On a validation equal to the best so far, keep the later weights (patience still counts it as no improvement).
     * A small validation set saturates early, and the strict rule then keeps the first weights that reached it (on the
     * keyword benchmark's development seeds, 32 of 34 validation items from a third of the run on). Defaults to false.
     */
    tieKeepsLater: z.boolean().default(false),
    /**
     * Validate, and keep when best, the mean of the generators' and shared trunk's weights at the last this many
     * validation points (the head keeps its live weights); training goes on with the live weights. 1 validates the live
     * weights. On the keyword benchmark's development seeds the held-out accuracy of the live weights moved by up to
     * 0.16 between neighbouring validations that a small validation set could not tell apart; the mean of the last 3
     * was steadier (src/core/training/ValidationAverage.ts, docs/proof-dev). At most 10: each point keeps a copy of
     * the generators and trunk (133 MiB at the bench's widths), and a spec may come from a workspace. Defaults to 1.
     */
    averageLast: z.number().int().positive().max(10).default(1),
    /**
     * Weight of the regression that keeps the head's predicted quality and cost of each sampled assignment
     * calibrated to what its episodes (with adapters) achieved, so that alpha keeps its meaning after RL. Defaults to 1.
     */
    valueWeight: z.number().nonnegative().default(1),
    /**
     * Weight of the paper's REINFORCE term on the head (-(R - b) log pi(a)). It moves Q - alpha C as a free logit, so
     * Q and C stop meaning predicted quality and cost and alpha stops acting as a price (issue 15). At 0 the head learns
     * in RL only through the calibrating regression above (`valueWeight`): its policy, a softmax of predicted reward,
     * follows what the sampled assignments achieved with their adapters. Defaults to 0.
     */
    headPolicyWeight: z.number().nonnegative().default(0),
    /**
     * Weight of the regression of every assignment's Q and C to the item's action-level rows, repeated as RL visits the
     * item, so that what the rollouts teach about the sampled assignment does not drag the others' predictions away
     * from what was observed (see JointRl.ts). Defaults to 1.
     */
    anchorWeight: z.number().nonnegative().default(1),
    /**
     * Validate every this many training items (the paper: 30), or `auto`: a third of the training items, at least 8,
     * so that a run validates three times per epoch whatever the data size. With a fixed 30, a 300-item set with 100
     * validation items would run 3000 validation episodes against 1800 training episodes in 3 epochs, and a 32-item
     * set would validate only three times in all. Defaults to `auto`.
     */
    validateEvery: z.union([z.literal("auto"), z.number().int().positive()]).default("auto"),
    /**
     * Stop after this many validations without improvement (the paper: 4), or `auto`: validations covering 320 training
     * items, at least 4. On the development benchmark the longest stretch between two improvements was 252 items, and 4
     * validations at the automatic cadence (44 items at 32 training items) stopped every run before the first
     * improvement (docs/defaults). Defaults to `auto`.
     */
    patience: z.union([z.literal("auto"), z.number().int().positive()]).default("auto"),
  })
  .strict();

export const trainSpecSchema = z
  .object({
    /**
     * The routing configuration (router, agents, candidates, generator, protocol), as `haps route --config` takes it:
     * a file path or the object itself. Defaults to the embedded models.
     */
    config: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    data,
    /** The cost preference of the reward, Perf - alpha * normalised cost. Defaults to the configuration's alpha. */
    alpha: z.number().nonnegative().optional(),
    /** One trained router per seed (initial weights, sampling, tie-breaking). Defaults to [0]. */
    seeds: z.array(z.number().int()).min(1).default([0]),
    /** Output folder: action-level data, checkpoints, histories. */
    out: z.string().min(1),
    /** llama.cpp threads. Defaults to half the logical cores. */
    threads: z.number().int().positive().optional(),
    sft: sft.default({ target: "tuples", reweight: false, epochs: "auto", batchSize: 8, lr: 1e-2 }),
    rl: rl.default({
      epochs: "auto",
      batchSize: 4,
      lr: 3e-4,
      generatorLr: 2e-2,
      explore: "b",
      bPenalty: 0.05,
      lrEnd: 0.1,
      weightDecay: 0,
      maxGradNorm: 1,
      sigma: 0.5,
      adapters: true,
      temperature: 1,
      settledRevisit: 1,
      tieKeepsLater: false,
      averageLast: 1,
      valueWeight: 1,
      headPolicyWeight: 0,
      anchorWeight: 1,
      validateEvery: "auto",
      patience: "auto",
    }),
  })
  .strict();

export type TrainSpecInput = z.input<typeof trainSpecSchema>;
type ParsedSpec = z.infer<typeof trainSpecSchema>;
export type SftSettings = ParsedSpec["sft"];
export type RlSettings = ParsedSpec["rl"];
export type DataSettings = ParsedSpec["data"];

/** A validated spec with its paths resolved and its routing configuration loaded (`config` null: embedded models). */
export interface TrainSpec extends Omit<ParsedSpec, "config"> {
  config: HapsConfig | null;
  /** Where it came from, for messages. */
  source: string;
}

/** Validates a parsed spec; `baseDir` resolves its relative paths. */
export async function parseTrainSpec(raw: unknown, source: string, baseDir: string): Promise<TrainSpec> {
  const parsed = trainSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`${source}: invalid training spec\n  ${problems.join("\n  ")}`);
  }
  const spec = parsed.data;
  const resolve = (p: string | undefined) => (p == null ? undefined : path.resolve(baseDir, p));
  let config: HapsConfig | null = null;
  if (typeof spec.config === "string") {
    config = await loadHapsConfig(path.resolve(baseDir, spec.config));
  } else if (spec.config != null) {
    config = parseHapsConfig(spec.config, `${source}: config`, baseDir);
  }
  return {
    ...spec,
    config,
    source,
    out: path.resolve(baseDir, spec.out),
    data: { ...spec.data, file: resolve(spec.data.file), trainFile: resolve(spec.data.trainFile), validFile: resolve(spec.data.validFile), testFile: resolve(spec.data.testFile) },
  };
}

/** Reads and validates a spec file; a missing file or a JSON syntax error says where. */
export async function loadTrainSpec(file: string): Promise<TrainSpec> {
  return await parseTrainSpec(await readJsonFile(file, "the training spec"), file, path.dirname(path.resolve(file)));
}
