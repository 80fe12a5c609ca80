// The baselines of the main table, fitted per seed on the training (+ validation) items' action-level data and
// deciding on the test items from the same features HAPS reads (the router LLM's pooled feature of the routing prompt).
// What each original does and how it was adapted to two agents is in its module's header (src/core/baselines) and,
// in short, in the report (methodNotes.ts). Every learned baseline reads the standardised feature (mean and scale fitted
// on the training items, StandardizedBaseline.ts), as HAPS's trunk does.
//
// A baseline that cannot be fitted (e.g. RouteLLM when every training item ties on every pair of assignments) fails on
// every test item; one whose decision throws on an item fails on that item. Both count, as failures, in its scores.
import {
  FixedBaseline,
  GraphRouter,
  IrtRouter,
  KnnRouter,
  MlpRouter,
  OracleBaseline,
  RandomBaseline,
  RouteLlmMfRouter,
  StandardizedBaseline,
  type AssignmentSpace,
  type Baseline,
  type RoutingExample,
} from "../baselines/index.ts";
import { Rng } from "../nn/Rng.ts";
import type { BaselineOptions, EvalMethod } from "./EvalSpec.ts";

export interface FittedBaseline {
  /** The method of the spec it belongs to. */
  method: EvalMethod;
  /** The baseline's own name ("RouteLLM (MF)", "Fixed (teacher=small, student=wide)", ...). */
  name: string;
  weighsCost: boolean;
  /** Null when fitting failed. */
  baseline: Baseline | null;
  /** Why fitting failed. */
  error?: string;
  fitSeconds: number;
}

/** The baselines a spec asks for, in the report's order. */
export function makeBaselines(methods: readonly EvalMethod[], space: AssignmentSpace, options: BaselineOptions): { method: EvalMethod; baseline: Baseline }[] {
  const out: { method: EvalMethod; baseline: Baseline }[] = [];
  if (methods.includes("random")) out.push({ method: "random", baseline: new RandomBaseline() });
  if (methods.includes("fixed")) for (const b of FixedBaseline.all(space)) out.push({ method: "fixed", baseline: b });
  const learned = (baseline: Baseline) => new StandardizedBaseline(baseline);
  if (methods.includes("routellm")) out.push({ method: "routellm", baseline: learned(new RouteLlmMfRouter(options.routellm)) });
  if (methods.includes("graphrouter")) out.push({ method: "graphrouter", baseline: learned(new GraphRouter(options.graphrouter)) });
  if (methods.includes("irt")) out.push({ method: "irt", baseline: learned(new IrtRouter(options.irt)) });
  if (methods.includes("knn")) out.push({ method: "knn", baseline: learned(new KnnRouter(options.knn)) });
  if (methods.includes("mlp")) out.push({ method: "mlp", baseline: learned(new MlpRouter(options.mlp)) });
  if (methods.includes("oracle")) out.push({ method: "oracle", baseline: new OracleBaseline() });
  return out;
}

/** The seed's random stream of one baseline: its own, so adding a method changes no other method's draws. */
export function baselineRng(seed: number, name: string): Rng {
  return Rng.forKey(seed, `baseline:${name}`);
}

/** Fits one baseline; a failure is kept as the method's result, not thrown. */
export function fitBaseline(
  entry: { method: EvalMethod; baseline: Baseline },
  data: { train: readonly RoutingExample[]; valid: readonly RoutingExample[] },
  space: AssignmentSpace,
  seed: number,
  alphas: readonly number[],
): FittedBaseline {
  const { method, baseline } = entry;
  const started = performance.now();
  try {
    baseline.fit(data.train, data.valid, space, { rng: baselineRng(seed, baseline.name), alphas });
    return { method, name: baseline.name, weighsCost: baseline.weighsCost, baseline, fitSeconds: (performance.now() - started) / 1000 };
  } catch (error) {
    return { method, name: baseline.name, weighsCost: baseline.weighsCost, baseline: null, error: (error as Error).message, fitSeconds: (performance.now() - started) / 1000 };
  }
}

/** Per test example, the chosen assignment index, or the error that stopped the choice. */
export function decide(fitted: FittedBaseline, test: readonly RoutingExample[], alpha: number): ({ index: number } | { error: string })[] {
  return test.map((example) => {
    if (fitted.baseline == null) return { error: `${fitted.name} could not be fitted: ${fitted.error}` };
    try {
      return { index: fitted.baseline.choose(example, alpha) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
}
