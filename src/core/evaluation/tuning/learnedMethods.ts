// The learned methods of an evaluation and the search space each one's tuning draws from. A learned baseline plugs in
// here: its method name (EvalSpec's EVAL_METHODS), how to build it from the spec's options and one drawn
// configuration, and its space. HAPS's space is here too: every learned method gets the same number of
// configurations (spec `tuning.configurations`), configuration 0 being its own settings.
//
// The ranges span about a decade around each original's default (the learning rates, which decide most), plus the
// capacity or length parameter the method's own header names as the one that under- or over-trains on small data.
import { GraphRouter, IrtRouter, KnnRouter, MlpRouter, RouteLlmMfRouter, type Baseline } from "../../baselines/index.ts";
import type { BaselineOptions, EvalMethod } from "../EvalSpec.ts";
import type { Configuration, SearchSpace } from "./searchSpace.ts";

export interface LearnedMethod {
  method: EvalMethod;
  /** The baseline with the spec's options for it, then the drawn configuration on top. */
  make(options: BaselineOptions, configuration: Configuration): Baseline;
  space: SearchSpace;
  /** Whether it trains one model per cost preference (GraphRouter), so that deciding at a new alpha needs a refit. */
  perAlphaFit?: boolean;
}

export const LEARNED_BASELINES: readonly LearnedMethod[] = [
  {
    method: "routellm",
    make: (o, c) => new RouteLlmMfRouter({ ...o.routellm, ...c, routing: "all" }),
    space: { lr: { log: [1e-4, 1e-2] }, dim: { values: [16, 32, 64, 128] }, minSteps: { values: [500, 1000, 2000, 4000] } },
  },
  {
    method: "routellm-pair",
    make: (o, c) => new RouteLlmMfRouter({ ...o.routellm, ...c, routing: "pair" }),
    space: { lr: { log: [1e-4, 1e-2] }, dim: { values: [16, 32, 64, 128] }, minSteps: { values: [500, 1000, 2000, 4000] } },
  },
  {
    method: "graphrouter",
    make: (o, c) => new GraphRouter({ ...o.graphrouter, ...c }),
    space: { lr: { log: [3e-4, 1e-2] }, hidden: { values: [8, 16, 32] }, epochs: { values: [200, 400, 800] } },
    perAlphaFit: true,
  },
  {
    method: "irt",
    make: (o, c) => new IrtRouter({ ...o.irt, ...c }),
    space: { lr: { log: [3e-4, 1e-2] }, knowledge: { values: [5, 10, 25] }, warmUp: { values: [0, 0.1, 0.3] }, minSteps: { values: [2000, 5000, 10000] } },
  },
  {
    // kNN's one hyperparameter is k; its own settings choose k on validation from a list, a drawn configuration fixes it.
    method: "knn",
    make: (o, c) => new KnnRouter(c.k == null ? o.knn : { ...o.knn, ks: [c.k] }),
    space: { k: { values: [1, 3, 5, 7, 9, 15, 21] } },
  },
  {
    method: "mlp",
    make: (o, c) => new MlpRouter({ ...o.mlp, ...c }),
    space: { lr: { log: [1e-3, 3e-2] }, hidden: { values: [16, 32, 64, 128] }, weightDecay: { log: [1e-3, 0.3] } },
  },
];

/** HAPS's search: the warm-up's and joint RL's step sizes and the exploration noise of the generated adapters. */
export const HAPS_SPACE: SearchSpace = {
  "sft.lr": { log: [1e-3, 1e-2] },
  "rl.lr": { log: [3e-4, 3e-3] },
  "rl.generatorLr": { log: [2e-3, 2e-2] },
  "rl.sigma": { values: [0.25, 0.5, 1] },
};

/** The static-adapter baseline's search: the generators' step size and exploration noise (it has no router to tune). */
export const STATIC_ADAPTER_SPACE: SearchSpace = {
  "rl.generatorLr": { log: [2e-3, 2e-2] },
  "rl.sigma": { values: [0.25, 0.5, 1] },
};

export function learnedBaseline(method: EvalMethod): LearnedMethod | undefined {
  return LEARNED_BASELINES.find((m) => m.method === method);
}
