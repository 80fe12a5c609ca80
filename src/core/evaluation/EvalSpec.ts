// `haps eval --spec FILE --out DIR`: which data, models, seeds, cost regimes, methods and ablations to compare. One
// JSON file; paths in it are relative to the file. Every field is documented here with its default; an invalid spec
// is refused with every wrong field named (and a JSON syntax error with its line and column).
//
// The data, the routing configuration and the training settings are `haps train`'s own pieces (TrainSpec.ts), so a
// training spec's sections paste into an evaluation spec unchanged. The output folder is not part of the spec: the
// command (`--out`) or the engine request (`outDir`) names it.
import path from "node:path";
import { z } from "zod";
import { GraphRouter, IrtRouter, KnnRouter, MlpRouter, RouteLlmMfRouter } from "../baselines/index.ts";
import { ConfigError, loadHapsConfig, parseHapsConfig, type HapsConfig } from "../config/HapsConfig.ts";
import { CONFIG_LIMITS } from "../config/configLimits.ts";
import { readJsonFile } from "../config/readJsonFile.ts";
import { trainSpecSchema, type DataSettings, type RlSettings, type SftSettings } from "../training/TrainSpec.ts";

/** The methods of the main table and the cost regimes. */
export const EVAL_METHODS = ["haps", "random", "fixed", "oracle", "routellm", "routellm-pair", "graphrouter", "irt", "knn", "mlp", "static-adapter"] as const;
export type EvalMethod = (typeof EVAL_METHODS)[number];

const train = trainSpecSchema.shape;

const keywordBenchmark = z
  .object({
    /**
     * `keyword`: the project's benchmark with known truth (src/core/benchmark/keywordBenchmark.ts). Its models, items
     * and routing configuration are generated into the work folder (`work`/benchmark; the same bytes every time), so a
     * fresh clone needs nothing else.
     */
    name: z.literal("keyword"),
    /** Phrasings used of each keyword (and code book, in the context group; the first ones). Defaults to 12: all 204 items. */
    phrasings: z.number().int().min(2).max(12).default(12),
    /**
     * Per keyword (per Latin quadruple in the context group) and seed, phrasings to train on; `valid` more validate;
     * the rest are held out for the test. Each seed draws its own stratified split (every keyword and code book is
     * trained on, keyword x code book x phrasing combinations are held out). Defaults to 6 (the proof).
     */
    train: z.number().int().min(1).default(6),
    /** Validation phrasings per keyword; 0 validates on the training items (as the proof's smoke run). Defaults to 2. */
    valid: z.number().int().min(0).default(2),
    /** LoRA scale the adapters are attached with (the benchmark's configuration). Defaults to 4 (the proof's). */
    scale: z.number().positive().max(CONFIG_LIMITS.scale).default(4),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.train + b.valid >= b.phrasings) {
      ctx.addIssue({ code: "custom", path: ["train"], message: `train (${b.train}) + valid (${b.valid}) must leave at least one of the ${b.phrasings} phrasings per keyword for the test` });
    }
  });

// Options of the baselines, passed to their constructors, which check the values (their headers say what each does and
// its default). Unknown names are refused here.
const num = z.number();
const routeLlmOptions = z
  .object({ dim: num, epochs: num, batchSize: num, lr: num, weightDecay: num, noiseStd: num, minSteps: num, threshold: num, strongShare: num, strong: num, weak: num })
  .partial()
  .strict();
const graphRouterOptions = z.object({ hidden: num, lr: num, weightDecay: num, epochs: num, splitsPerEpoch: num, maskRate: num }).partial().strict();
const irtOptions = z.object({ knowledge: num, epochs: num, batchSize: num, lr: num, minSteps: num, warmUp: num, neighbours: num }).partial().strict();
const knnOptions = z.object({ ks: z.array(num).min(1) }).partial().strict();
const mlpOptions = z.object({ hidden: num, epochs: num, batchSize: num, lr: num, weightDecay: num, minSteps: num }).partial().strict();

const ablations = z
  .object({
    /** Without the high-level router: a random and each fixed assignment, with the trained HAPS generators' adapters. Defaults to true. */
    highLevel: z.boolean().default(true),
    /** Without the low-level router: the router trained and evaluated with no adapters (`rl.adapters` false). Defaults to true. */
    lowLevel: z.boolean().default(true),
    /** Without parameter sharing: HAPS trained with `generator.shareTrunk` false. Defaults to true. */
    sharing: z.boolean().default(true),
    /**
     * LoRA depth: HAPS trained with adapters on the last k o_proj layers, for each k (the paper's Figure 4). The
     * configuration's own depth reuses the HAPS run. Each k must not exceed any open candidate's block count.
     * Defaults to [1, 2, 4]; [] skips the ablation.
     */
    depths: z.array(z.number().int().min(1).max(CONFIG_LIMITS.lastLayers)).default([1, 2, 4]),
  })
  .strict();

export const evalSpecSchema = z
  .object({
    /** The routing configuration, as in a training spec (a file path or the object). Defaults to the embedded models; not with `benchmark`. */
    config: train.config,
    /**
     * The data and its splits, as in a training spec (data.seed draws the items). Each seed redraws its own split of
     * those items with the same sizes; with files per split the test file stays the test split (EvaluationData.ts).
     */
    data: train.data.optional(),
    /** Or a generated benchmark instead of `data` and `config`. */
    benchmark: keywordBenchmark.optional(),
    /**
     * The cost preference HAPS is trained at and the main table and the ablations are reported at. HAPS's head takes
     * alpha at query time, so the cost regimes evaluate the same trained router at each of `alphas`. Defaults to the
     * configuration's alpha.
     */
    alpha: z.number().nonnegative().max(CONFIG_LIMITS.alpha).optional(),
    /** The cost regimes: every method is scored at each (those that can weigh cost also decide at each). Defaults to [0, 0.5, 0.8] (the paper's). */
    alphas: z.array(z.number().nonnegative().max(CONFIG_LIMITS.alpha)).min(1).default([0, 0.5, 0.8]),
    /** One run of everything per seed (splits of the benchmark, initial weights, sampling, baselines). Defaults to [0]. */
    seeds: train.seeds,
    /**
     * Folder of the action-level data, the benchmark's files and the checkpoints, relative to the spec. Reusing it
     * resumes: finished episodes and trainings are not run again - so changed training settings or splits need a new
     * one (the action rows alone may be shared by any spec over the same models). Defaults to `work` inside the output
     * folder.
     */
    work: z.string().min(1).optional(),
    /** llama.cpp threads. Defaults to half the logical cores (ignored when the engine's runtime is shared). */
    threads: train.threads,
    /** Episodes run at once (each on its own context). Defaults to 2. */
    concurrency: z.number().int().min(1).max(64).default(2),
    /** HAPS's warm-up, as in a training spec (every HAPS training of the evaluation uses it). */
    sft: train.sft,
    /** HAPS's joint RL, as in a training spec. */
    rl: train.rl,
    /** Methods of the main table: HAPS and the baselines. Defaults to all of them. */
    methods: z.array(z.enum(EVAL_METHODS)).min(1).default([...EVAL_METHODS]),
    /** Ablations of HAPS, reported at `alpha`. Defaults to all of them. */
    ablations: ablations.default({ highLevel: true, lowLevel: true, sharing: true, depths: [1, 2, 4] }),
    /**
     * The hyperparameter search every learned method gets (HAPS and each learned baseline alike; the spaces are in
     * evaluation/tuning/learnedMethods.ts): `configurations` per method and seed, the first being its own settings,
     * the others drawn at random (seeded); each is fitted on the training items and the one with the best mean
     * validation reward is kept - per cost regime for the baselines, at the training alpha for HAPS (trained at it).
     * Defaults to 4 configurations.
     */
    tuning: z.object({ configurations: z.number().int().min(1).max(32).default(4) }).strict().default({ configurations: 4 }),
    /**
     * Cost preferences swept for the Pareto fronts (every method that can weigh cost decides at each; the cost
     * regimes are added). Defaults to [0, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2, 4].
     */
    paretoAlphas: z.array(z.number().nonnegative().max(CONFIG_LIMITS.alpha)).min(1).default([0, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2, 4]),
    /** Options of the learned baselines, by method; each defaults to the method's own (see its module's header). `routellm` serves both RouteLLM forms. */
    baselines: z
      .object({
        routellm: routeLlmOptions.default({}),
        graphrouter: graphRouterOptions.default({}),
        irt: irtOptions.default({}),
        knn: knnOptions.default({}),
        mlp: mlpOptions.default({}),
      })
      .strict()
      .default({ routellm: {}, graphrouter: {}, irt: {}, knn: {}, mlp: {} }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.data == null) === (s.benchmark == null)) ctx.addIssue({ code: "custom", path: ["data"], message: "give either data (with config, or the embedded models) or benchmark, exactly one" });
    if (s.benchmark != null && s.config != null) ctx.addIssue({ code: "custom", path: ["config"], message: "the keyword benchmark brings its own models; leave config out" });
    if (new Set(s.alphas).size !== s.alphas.length) ctx.addIssue({ code: "custom", path: ["alphas"], message: "each cost regime once" });
    if (new Set(s.seeds).size !== s.seeds.length) ctx.addIssue({ code: "custom", path: ["seeds"], message: "each seed once" });
    if (new Set(s.methods).size !== s.methods.length) ctx.addIssue({ code: "custom", path: ["methods"], message: "each method once" });
    if (new Set(s.ablations.depths).size !== s.ablations.depths.length) ctx.addIssue({ code: "custom", path: ["ablations", "depths"], message: "each depth once" });
  });

export type EvalSpecInput = z.input<typeof evalSpecSchema>;
type ParsedEvalSpec = z.infer<typeof evalSpecSchema>;
export type KeywordBenchmarkSettings = NonNullable<ParsedEvalSpec["benchmark"]>;
export type BaselineOptions = ParsedEvalSpec["baselines"];

/** A validated evaluation spec, its paths resolved and its routing configuration loaded. */
export interface EvalSpec {
  /** The routing configuration; null with `benchmark` (its own) or for the embedded models. */
  config: HapsConfig | null;
  data: DataSettings | null;
  benchmark: KeywordBenchmarkSettings | null;
  alpha: number | null;
  alphas: number[];
  seeds: number[];
  /** Absolute; null: `work` inside the output folder. */
  work: string | null;
  threads?: number;
  concurrency: number;
  sft: SftSettings;
  rl: RlSettings;
  methods: EvalMethod[];
  ablations: ParsedEvalSpec["ablations"];
  baselines: BaselineOptions;
  tuning: ParsedEvalSpec["tuning"];
  paretoAlphas: number[];
  /** Where it came from, for messages. */
  source: string;
  /** The spec as given (before defaults), for results.json. */
  raw: unknown;
}

/** Validates a parsed spec; `baseDir` resolves its relative paths. Every wrong field is named. */
export async function parseEvalSpec(raw: unknown, source: string, baseDir: string): Promise<EvalSpec> {
  const parsed = evalSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`${source}: invalid evaluation spec\n  ${problems.join("\n  ")}`);
  }
  const spec = parsed.data;
  // The baselines check their own options (one definition of each bound); a bad one is named by its spec field.
  const optionProblems: string[] = [];
  const tryOptions = (field: string, make: () => unknown) => {
    try {
      make();
    } catch (error) {
      optionProblems.push(`baselines.${field}: ${(error as Error).message}`);
    }
  };
  tryOptions("routellm", () => new RouteLlmMfRouter(spec.baselines.routellm));
  tryOptions("graphrouter", () => new GraphRouter(spec.baselines.graphrouter));
  tryOptions("irt", () => new IrtRouter(spec.baselines.irt));
  tryOptions("knn", () => new KnnRouter(spec.baselines.knn));
  tryOptions("mlp", () => new MlpRouter(spec.baselines.mlp));
  if (optionProblems.length > 0) throw new ConfigError(`${source}: invalid evaluation spec\n  ${optionProblems.join("\n  ")}`);

  const resolve = (p: string | undefined) => (p == null ? undefined : path.resolve(baseDir, p));
  let config: HapsConfig | null = null;
  if (typeof spec.config === "string") config = await loadHapsConfig(path.resolve(baseDir, spec.config));
  else if (spec.config != null) config = parseHapsConfig(spec.config, `${source}: config`, baseDir);
  const data = spec.data == null ? null : { ...spec.data, file: resolve(spec.data.file), trainFile: resolve(spec.data.trainFile), validFile: resolve(spec.data.validFile), testFile: resolve(spec.data.testFile) };
  return {
    config,
    data,
    benchmark: spec.benchmark ?? null,
    alpha: spec.alpha ?? null,
    alphas: spec.alphas,
    seeds: spec.seeds,
    work: resolve(spec.work) ?? null,
    threads: spec.threads,
    concurrency: spec.concurrency,
    sft: spec.sft,
    rl: spec.rl,
    methods: spec.methods,
    ablations: spec.ablations,
    baselines: spec.baselines,
    tuning: spec.tuning,
    paretoAlphas: spec.paretoAlphas,
    source,
    raw,
  };
}

/** Reads and validates a spec file; a missing file or a JSON syntax error says where. */
export async function loadEvalSpec(file: string): Promise<EvalSpec> {
  return await parseEvalSpec(await readJsonFile(file, "the evaluation spec"), file, path.dirname(path.resolve(file)));
}
