import type { KnnComparison } from "./knnComparison.ts";
import type { AlphaCheckResult } from "../training/alphaChecks.ts";
// What an evaluation produces: results.json's shape (every number per method and seed, the spec and the versions)
// and the digest the engine's `evaluate` returns.
import type { CostNormalizerState } from "../metrics/index.ts";
import type { RlResult } from "../training/JointRl.ts";
import type { SftResult } from "../training/Sft.ts";
import type { EvalMethod } from "./EvalSpec.ts";
import type { MethodScore } from "./scoreOutcomes.ts";
import type { Versions } from "./versions.ts";

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
  points: { threshold: number; strongShare: number; quality: number; cost: number }[];
  /** RouteLLM's APGR; null when All Strong and All Weak reach the same quality (no gap to recover). */
  apgr: number | null;
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
  perSeed: SeedEvaluation[];
  summary: MethodSummary[];
  startedAt: string;
  seconds: number;
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
  summary: EvaluationDigest;
}
