// The baselines of the main table, fitted per seed on the training (+ validation) items' action-level data and
// deciding on the test items from the same features HAPS reads (the router LLM's pooled feature of the routing prompt).
// What each original does and how it was adapted to two agents is in its module's header (src/core/baselines) and,
// in short, in the report (methodNotes.ts). Every learned baseline reads the standardised feature (mean and scale fitted
// on the training items, StandardizedBaseline.ts), as HAPS's trunk does.
//
// Every learned baseline is tuned as HAPS is (tuning/): the spec's number of configurations from its search space,
// each fitted on the training items (a method trained in epochs keeps, per cost regime, the checkpoint with the best
// validation reward at that regime's alpha: baselines/rewardCheckpoints.ts), and per cost regime the configuration with
// the best mean validation reward quality - alpha * cost decides on the test items.
//
// A baseline that cannot be fitted (e.g. RouteLLM when every training item ties on every pair of assignments) fails on
// every test item; one whose decision throws on an item fails on that item. Both count, as failures, in its scores.
import { FixedBaseline, OracleBaseline, RandomBaseline, StandardizedBaseline, type AssignmentSpace, type Baseline, type RoutingExample } from "../baselines/index.ts";
import { reward } from "../metrics/reward/reward.ts";
import { Rng } from "../nn/Rng.ts";
import type { BaselineOptions, EvalMethod } from "./EvalSpec.ts";
import type { AssignmentTable } from "./AssignmentTable.ts";
import { routeLlmCurve } from "./routeLlmCurve.ts";
import type { RoutingCurveResult } from "./types.ts";
import { learnedBaseline } from "./tuning/learnedMethods.ts";
import { describeConfiguration, drawConfigurations, type Configuration, type SearchSpace } from "./tuning/searchSpace.ts";

/** One configuration a method's search fitted. */
export interface TuningTrial {
  configuration: Configuration;
  description: string;
  fitSeconds: number;
  /** Mean validation reward per cost regime (keyed like results.json's alphas); empty when fitting failed. */
  validReward: Record<string, number>;
  /**
   * Per cost regime, the checkpoint the configuration kept within its training (the best validation reward at that
   * alpha, baselines/rewardCheckpoints.ts), e.g. "epoch 143, update 1001"; absent for methods without epochs.
   */
  checkpoint?: Record<string, string>;
  error?: string;
}

/** What one method's search tried and chose, for one seed. */
export interface TuningRecord {
  method: string;
  name: string;
  space: SearchSpace;
  trials: TuningTrial[];
  /** Index of the kept trial per cost regime. */
  chosen: Record<string, number>;
  /** `valid`: selected on the validation items; `train`: the split has none, so on the training items. */
  selectedOn: "valid" | "train";
}

/** A baseline the evaluation builds: its configurations (one for the methods that learn nothing) and how to build each. */
export interface BaselineEntry {
  method: EvalMethod;
  name: string;
  configurations: Configuration[];
  build(configuration: Configuration): Baseline;
  /** The search space, for the report (null for the methods that learn nothing). */
  space: SearchSpace | null;
}

export interface FittedBaseline {
  /** The method of the spec it belongs to. */
  method: EvalMethod;
  /** The baseline's own name ("RouteLLM (MF)", "Fixed (teacher=small, student=wide)", ...). */
  name: string;
  weighsCost: boolean;
  /** One per configuration: the fitted baseline, or why it could not be fitted. */
  candidates: ({ baseline: Baseline } | { error: string })[];
  /** The candidate that decides at each cost regime (keyed like results.json's alphas). */
  chosen: Record<string, number>;
  tuning: TuningRecord | null;
  /** Seconds spent fitting every configuration. */
  fitSeconds: number;
  entry: BaselineEntry;
}

const key = (alpha: number) => String(alpha);

/** The baselines a spec asks for, in the report's order, each with its seed's configurations. */
export function makeBaselines(methods: readonly EvalMethod[], space: AssignmentSpace, options: BaselineOptions, seed: number, configurations: number): BaselineEntry[] {
  const out: BaselineEntry[] = [];
  const fixedOne = (method: EvalMethod, b: Baseline): BaselineEntry => ({ method, name: b.name, configurations: [{}], build: () => b, space: null });
  if (methods.includes("random")) out.push(fixedOne("random", new RandomBaseline()));
  if (methods.includes("fixed")) for (const b of FixedBaseline.all(space)) out.push(fixedOne("fixed", b));
  for (const method of ["routellm", "routellm-pair", "graphrouter", "irt", "knn", "mlp"] as const) {
    if (!methods.includes(method)) continue;
    const learned = learnedBaseline(method)!;
    const build = (c: Configuration) => new StandardizedBaseline(learned.make(options, c));
    out.push({ method, name: build({}).name, configurations: drawConfigurations(learned.space, configurations, seed, method), build, space: learned.space });
  }
  if (methods.includes("oracle")) out.push(fixedOne("oracle", new OracleBaseline()));
  return out;
}

/** The seed's random stream of one baseline: its own, so adding a method changes no other method's draws. */
export function baselineRng(seed: number, name: string): Rng {
  return Rng.forKey(seed, `baseline:${name}`);
}

/** The random stream of configuration `index` (configuration 0 keeps the method's own stream). */
function trialRng(seed: number, name: string, index: number): Rng {
  return baselineRng(seed, index === 0 ? name : `${name}#${index}`);
}

/**
 * Fits every configuration of one baseline and keeps, per cost regime, the one with the best mean validation reward
 * (the first on ties, so the method's own settings win a tie). Failures are kept as results, not thrown.
 */
export function fitBaseline(
  entry: BaselineEntry,
  data: { train: readonly RoutingExample[]; valid: readonly RoutingExample[] },
  space: AssignmentSpace,
  seed: number,
  alphas: readonly number[],
): FittedBaseline {
  const started = performance.now();
  const judged = data.valid.length > 0 ? data.valid : data.train;
  const candidates: FittedBaseline["candidates"] = [];
  const trials: TuningTrial[] = [];
  let weighsCost = false;
  entry.configurations.forEach((configuration, i) => {
    const t0 = performance.now();
    let baseline: Baseline | null = null;
    try {
      baseline = entry.build(configuration);
      weighsCost = baseline.weighsCost;
      baseline.fit(data.train, data.valid, space, { rng: trialRng(seed, entry.name, i), alphas });
    } catch (error) {
      candidates.push({ error: (error as Error).message });
      trials.push({ configuration, description: describeConfiguration(configuration), fitSeconds: (performance.now() - t0) / 1000, validReward: {}, error: (error as Error).message });
      return;
    }
    const validReward: Record<string, number> = {};
    if (entry.configurations.length > 1) {
      for (const a of alphas) {
        let total = 0;
        for (const ex of judged) {
          try {
            const c = baseline.choose(ex, a);
            total += reward(ex.quality[c], ex.cost[c], a);
          } catch {
            total += reward(0, 1, a);
          }
        }
        validReward[key(a)] = total / judged.length;
      }
    }
    candidates.push({ baseline });
    const selection = baseline.checkpointSelection?.() ?? null;
    const checkpoint = selection == null ? undefined : Object.fromEntries(alphas.map((a) => {
      const kept = selection.kept[key(a)];
      return [key(a), kept == null ? "n/a" : `epoch ${kept.epoch}, update ${kept.step}`];
    }));
    trials.push({ configuration, description: describeConfiguration(configuration), fitSeconds: (performance.now() - t0) / 1000, validReward, ...(checkpoint ? { checkpoint } : {}) });
  });
  const chosen: Record<string, number> = {};
  for (const a of alphas) {
    let best = -1;
    trials.forEach((t, i) => {
      const r = t.validReward[key(a)];
      if (t.error == null && (best < 0 || (r != null && r > (trials[best].validReward[key(a)] ?? -Infinity) + 1e-12))) best = i;
    });
    chosen[key(a)] = Math.max(0, best);
  }
  const tuning: TuningRecord | null =
    entry.space == null ? null : { method: entry.method, name: entry.name, space: entry.space, trials, chosen, selectedOn: data.valid.length > 0 ? "valid" : "train" };
  return { method: entry.method, name: entry.name, weighsCost, candidates, chosen, tuning, fitSeconds: (performance.now() - started) / 1000, entry };
}

/** The fitted baseline that decides at `alpha` (a cost regime, or the training alpha's choice for any other alpha). */
export function baselineAt(fitted: FittedBaseline, alpha: number, fallbackAlpha: number): { baseline: Baseline } | { error: string } {
  const index = fitted.chosen[key(alpha)] ?? fitted.chosen[key(fallbackAlpha)] ?? 0;
  const c = fitted.candidates[index];
  return "baseline" in c ? c : { error: `${fitted.name} could not be fitted: ${c.error}` };
}

/** Per example, the chosen assignment index, or the error that stopped the choice. */
export function decide(source: { baseline: Baseline } | { error: string }, test: readonly RoutingExample[], alpha: number): ({ index: number } | { error: string })[] {
  return test.map((example) => {
    if ("error" in source) return { error: source.error };
    try {
      return { index: source.baseline.choose(example, alpha) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
}

/** A decision on one test item: the assignment's index in the space, or why there is none. */
export type Decision = { index: number } | { error: string };

/**
 * What the evaluation needs from a fitted baseline, as data: its search, and its decisions on the seed's test items at
 * every cost regime and swept alpha. Stored per seed (baselineStore.ts), so that a resumed run does not fit it again.
 */
export interface BaselineRecord {
  method: EvalMethod;
  name: string;
  weighsCost: boolean;
  fitSeconds: number;
  tuning: TuningRecord | null;
  chosen: Record<string, number>;
  configurations: number;
  failed: number;
  /** The first configuration's error when none could be fitted. */
  firstError: string | null;
  /** Decisions on the test items at each cost regime, with the configuration kept for it. */
  byAlpha: Record<string, Decision[]>;
  /** Decisions at each swept alpha (a baseline that weighs cost, the Oracle aside); null otherwise. */
  pareto: Record<string, Decision[]> | null;
  /** RouteLLM's routing curve on the test items (its kept configuration at the training alpha); null for the others. */
  routeLlmCurve: RoutingCurveResult | null;
}

/**
 * The record of a fitted baseline. The Pareto sweep decides with the configuration kept at the training alpha; one that
 * trains a model per alpha (GraphRouter) is fitted again with that configuration for the swept alphas.
 */
export function baselineRecord(
  f: FittedBaseline,
  ctx: { examples: { train: readonly RoutingExample[]; valid: readonly RoutingExample[]; test: readonly RoutingExample[] }; space: AssignmentSpace; seed: number; alpha: number; alphas: readonly number[]; paretoAlphas: readonly number[]; table: AssignmentTable },
): BaselineRecord {
  const { alpha, examples } = ctx;
  const byAlpha: Record<string, Decision[]> = {};
  for (const a of ctx.alphas) byAlpha[key(a)] = decide(baselineAt(f, a, alpha), examples.test, a);
  let pareto: Record<string, Decision[]> | null = null;
  if (f.weighsCost && f.method !== "oracle") {
    let source = baselineAt(f, alpha, alpha);
    if (learnedBaseline(f.method)?.perAlphaFit && "baseline" in source) {
      const index = f.chosen[key(alpha)];
      const refit = f.entry.build(f.entry.configurations[index]);
      try {
        refit.fit(examples.train, examples.valid, ctx.space, { rng: baselineRng(ctx.seed, index === 0 ? f.name : `${f.name}#${index}`), alphas: ctx.paretoAlphas });
        source = { baseline: refit };
      } catch (error) {
        source = { error: (error as Error).message };
      }
    }
    pareto = {};
    for (const a of ctx.paretoAlphas) pareto[key(a)] = decide(source, examples.test, a);
  }
  const mf = (f.method === "routellm" || f.method === "routellm-pair") && "baseline" in f.candidates[f.chosen[key(alpha)]] ? (baselineAt(f, alpha, alpha) as { baseline: Baseline }).baseline : null;
  const failed = f.candidates.filter((c) => "error" in c).length;
  return {
    method: f.method,
    name: f.name,
    weighsCost: f.weighsCost,
    fitSeconds: f.fitSeconds,
    tuning: f.tuning,
    chosen: f.chosen,
    configurations: f.candidates.length,
    failed,
    firstError: failed === f.candidates.length ? (f.candidates[0] as { error: string }).error : null,
    byAlpha,
    pareto,
    routeLlmCurve: mf ? routeLlmCurve(mf, examples.test, ctx.table) : null,
  };
}
