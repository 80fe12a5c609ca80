import type { KnnComparison } from "./knnComparison.ts";
import type { AlphaCheckResult } from "../training/alphaChecks.ts";
// What an evaluation produces: results.json's shape (every number per method and seed, the spec and the versions)
// and the digest the engine's `evaluate` returns.
import type { CostNormalizerState } from "../metrics/index.ts";
import type { RlResult } from "../training/JointRl.ts";
import type { SftResult } from "../training/Sft.ts";
import type { Interval } from "../statistics/pairedBootstrap.ts";
import type { PairedTest } from "../statistics/pairedTests.ts";
import type { TuningRecord } from "./baselineMethods.ts";
import type { EvalMethod } from "./EvalSpec.ts";
import type { MethodScore } from "./scoreOutcomes.ts";
import type { Versions } from "./versions.ts";
import type { FeatureKind } from "../router/FeatureKind.ts";

export type MethodKind = EvalMethod | "no-high-level" | "no-low-level" | "no-sharing" | "depth";

export interface MethodResult {
  name: string;
  /** `main`: the main table and the cost regimes; `ablation`: the ablation table (scored at the training alpha). */
  group: "main" | "ablation";
  kind: MethodKind;
  /** LoRA depth k of a depth ablation. */
  depth?: number;
  /** Whether the open models ran with generated adapters. */
  adapters: boolean;
  /** `action rows`: the no-adapter episodes of the action-level data; `episodes`: run for this evaluation. */
  scoredFrom: "action rows" | "episodes";
  /** Whether its decisions change with alpha. */
  weighsCost: boolean;
  /** Seconds spent fitting (baselines) or training (HAPS runs). */
  fitSeconds?: number;
  /** Score per cost preference, keyed by alpha as a string ("0", "0.5"). */
  byAlpha: Record<string, MethodScore>;
}

/** RouteLLM's threshold sweep on the test items and its area figures. */
export interface RoutingCurveResult {
  strong: string;
  weak: string;
  strongQuality: number;
  weakQuality: number;
  /** strongShare: share of items sent to the strong configuration; callShare: share of agent calls to the costliest candidate. */
  points: { threshold: number; strongShare: number; callShare: number; quality: number; cost: number }[];
  /** RouteLLM's APGR; null when All Strong and All Weak reach the same quality (no gap to recover). */
  apgr: number | null;
  /** RouteLLM's CPT at 20, 50 and 80 % (share of items to strong); null when not reached or there is no gap. */
  cpt: Record<string, number | null>;
  /** Mean quality along the curve (trapezoid area over the shares it spans): defined even without a gap. */
  meanQuality: number;
}

export interface TrainingRecord {
  name: string;
  /** Whether joint RL found a validation reward above the warm-started router's (false: the warm-up checkpoint was kept). */
  rlImproved: boolean;
  slug: string;
  seconds: number;
  checkpoint: string;
  bestValidReward: number;
  stoppedEarly: boolean;
  rollouts: number;
  sft: SftResult["history"];
  rl: RlResult["history"];
}

/** One method's operating points on the test items as its cost preference is swept (a fixed row: one point). */
export interface ParetoSeries {
  name: string;
  kind: MethodKind;
  points: { alpha: number; quality: number; cost: number; strongCallShare: number }[];
}

/** A method's front over seeds: the points averaged per alpha, the front's area and RouteLLM's CPT along it. */
export interface ParetoSummary {
  name: string;
  kind: MethodKind;
  points: { alpha: number; quality: number; cost: number; strongCallShare: number }[];
  /** The points on the front (non-decreasing upper hull), by cost. */
  front: { cost: number; quality: number }[];
  /** Area under the front over normalised cost in [0, 1] (metrics/routing/paretoFront.ts). */
  area: number;
  /** Smallest share of agent calls to the costliest candidate reaching 50 % / 80 % of the All-Weak to All-Strong gap; null: never, or no gap. */
  cpt50: number | null;
  cpt80: number | null;
}

/** A paired difference a - b over the test items of every seed, with its bootstrap interval and paired test. */
export interface Difference {
  a: string;
  b: string;
  alpha: number;
  measure: "quality" | "reward" | "normalisedCost";
  interval: Interval;
  test: PairedTest;
}

/** Every difference the report states, computed from the per-item scores (evaluation/comparisons.ts). */
export interface Comparisons {
  level: number;
  resamples: number;
  /** Per cost regime (keyed like byAlpha), the best baseline by mean reward (quality at alpha 0): fixed rows included, the Oracle and HAPS not. */
  bestBaseline: Record<string, string | null>;
  /** Every main method against the best baseline of each regime, on quality and on reward. */
  vsBestBaseline: Difference[];
  /** Oracle reward minus each main method's reward, per regime (negative: the method beats routing without adapters). */
  regret: Difference[];
  /** The consecutive steps of the measured order at the training alpha (HAPS, Oracle, best baseline, Random). */
  order: Difference[];
}

export interface SeedEvaluation {
  seed: number;
  /** Item ids of the seed's splits: every method was scored on exactly `test`, trained on `train` (+ `valid`). */
  splits: { train: string[]; valid: string[]; test: string[] };
  costNormalizer: CostNormalizerState;
  methods: MethodResult[];
  routeLlmCurve: RoutingCurveResult | null;
  /** HAPS against the kNN router on the validation items (null: HAPS not trained or no validation items). */
  knnComparison: KnnComparison | null;
  /** Whether alpha acts on the trained head (training/alphaChecks.ts), on the validation items (training items without them). */
  alphaCheck: (AlphaCheckResult & { items: "validation" | "training" }) | null;
  trainings: TrainingRecord[];
  /** What each learned method's hyperparameter search tried and chose (HAPS first). */
  tuning: TuningRecord[];
  /** Every method's operating points over the swept cost preferences. */
  pareto: ParetoSeries[];
  /** Episodes run with adapters for this seed (the rest were read from the action-level data). */
  episodesRun: number;
  seconds: number;
}

export interface Stat {
  mean: number;
  /** Sample standard deviation over seeds (0 for one seed). */
  std: number;
  perSeed: number[];
}

export interface MethodSummary {
  name: string;
  group: MethodResult["group"];
  kind: MethodKind;
  depth?: number;
  adapters: boolean;
  scoredFrom: MethodResult["scoredFrom"];
  weighsCost: boolean;
  byAlpha: Record<string, { quality: Stat; normalisedCost: Stat; reward: Stat; strongCallShare: Stat; failed: number }>;
}

export interface EvaluationResults {
  format: "haps-evaluation/1";
  dataset: string;
  agents: string[];
  candidates: { id: string; open: boolean; description: string | null; price: { input: number; output: number } }[];
  /** Assignment labels, in the baselines' order. */
  assignments: string[];
  /** The cost preference HAPS was trained at: the main table's and the ablations'. */
  trainingAlpha: number;
  /** Every cost regime scored. */
  alphas: number[];
  seeds: number[];
  /** The spec as given, and where from. */
  spec: { source: string; given: unknown };
  versions: Versions;
  /** The keyword benchmark's known truth checked on the action-level data (null for other data). */
  knownTruth: { cells: number; mismatches: string[] } | null;
  /** How the assignment descriptors were embedded for GraphRouter and IRT-Router. */
  descriptors: { texts: string[]; width: number; distinctBeforeIdentity: boolean; error: string | null };
  /** What the routers' own work adds to each routed item's raw cost (and which methods pay it). */
  overhead: { routerPromptTokens: number; pricePerMillion: number; rawCostPerItem: number; paidBy: string };
  /** The router feature HAPS and the learned baselines read (FeatureKind), and why; absent in results written before it was recorded. */
  routerFeature?: { kind: FeatureKind; reason: string };
  perSeed: SeedEvaluation[];
  summary: MethodSummary[];
  comparisons: Comparisons;
  pareto: ParetoSummary[];
  startedAt: string;
  /** Wall seconds from the first seed's start to the last seed's end (for a combined run, over its seed processes). */
  seconds: number;
  /** Seed processes that ran side by side (1: one process ran every seed; a resumed run counts as one). */
  processes: number;
}

/** The small digest the engine's `evaluate` returns beside the files. */
export interface EvaluationDigest {
  dataset: string;
  seeds: number[];
  trainingAlpha: number;
  methods: { name: string; group: MethodResult["group"]; quality: number; normalisedCost: number; reward: number; failed: number }[];
  seconds: number;
}

export interface EvaluationOutcome {
  resultsFile: string;
  reportFile: string;
  charts: { name: string; file: string }[];
  /** Each seed's own result (outDir/seeds/seed-S.json), which --combine and a resumed run read. */
  seedFiles?: string[];
  summary: EvaluationDigest;
}
