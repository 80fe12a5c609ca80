// The static-adapter baseline: one query-independent LoRA adapter per open candidate, learned from rewards exactly as
// HAPS's low-level router learns its per-query adapters, but unable to depend on the query.
//
// It IS HAPS's generator, fed one constant feature (the mean routing feature of the training items) instead of the
// query's: the same parameterisation and initialisation (a HapsPolicy of the same configuration and seed), the same
// estimator (Gaussian exploration on B with antithetic pairs, the central difference of the shaped reward, plain SGD
// with the same step size, linear decay and |B| penalty), the same rollout budget (epochs over the training items,
// validation cadence, patience), the same validation with mean adapters and the same best-checkpoint rule and averaging (JointRl.ts).
// Only the query dependence is gone, so what it cannot do that HAPS does is what per-query parameters buy.
//
// Who answers: `route` gives each query its assignment - a fixed assignment (the "best fixed assignment with a static
// adapter" baseline) or HAPS's own trained router (the "static adapter under HAPS's router" baseline). The same
// adapter serves a candidate in every role it is assigned.
import type { LoraAdapter } from "../adapters/types.ts";
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import { reward, shapePerformance, type CostNormalizer } from "../metrics/index.ts";
import { Rng } from "../nn/Rng.ts";
import { Sgd } from "../nn/Sgd.ts";
import type { AgentRole, TokenCount } from "../protocols/types.ts";
import type { Assignment } from "../router/Assignment.ts";
import { HapsPolicy } from "../router/HapsPolicy.ts";
import type { ResolvedHapsPolicyConfig } from "../router/HapsPolicyConfig.ts";
import { qualityOf, runPool } from "../training/episodes.ts";
import { antitheticAdapterStep, judgeValidation, resolveRlBudget, skipSettled, type PairOutcome } from "../training/JointRl.ts";
import { shuffle } from "../training/loadSplits.ts";
import type { TrainingProgress } from "../training/progress.ts";
import { ValidationAverage } from "../training/ValidationAverage.ts";
import type { RlSettings } from "../training/TrainSpec.ts";

export interface StaticAdapterContext {
  pipeline: HapsPipeline;
  /** The routing policy's configuration (the static adapters get generators of the same shape and seed). */
  policyConfig: ResolvedHapsPolicyConfig;
  /** Each query's assignment (fixed, or a trained router's greedy choice). */
  route: (q: PreparedQuery) => Assignment;
  train: readonly PreparedQuery[];
  valid: readonly PreparedQuery[];
  /** HAPS's RL settings: the generators' step size, sigma, explored factors, |B| penalty, budget and validation. */
  settings: RlSettings;
  alpha: number;
  normalizer: CostNormalizer;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
}

export interface StaticAdapters {
  /** Candidate id -> its one adapter (the best validation's). */
  adapters: Map<string, LoraAdapter>;
  bestValidReward: number;
  /** Training items seen when the best validation was reached. */
  bestAtItems: number;
  rollouts: number;
  stoppedEarly: boolean;
  history: { items: number; validReward: number }[];
}

/** Trains one query-independent adapter per open candidate (see the file comment). */
export async function trainStaticAdapters(ctx: StaticAdapterContext): Promise<StaticAdapters> {
  const { alpha } = ctx;
  if (ctx.train.length === 0) throw new Error("trainStaticAdapters: no training items");
  // The same resolution of `auto` as JointRl's, on the same training items: the same budget.
  const settings = { ...ctx.settings, ...resolveRlBudget(ctx.settings, ctx.train.length) };
  const policy = new HapsPolicy({ ...ctx.policyConfig, seed: ctx.seed });
  // The one input every query sees: the mean training feature, so the untrained adapters equal HAPS's untrained
  // adapters at the average query.
  const width = ctx.train[0].feature.length;
  const feature = new Float64Array(width);
  for (const q of ctx.train) for (let i = 0; i < width; i++) feature[i] += q.feature[i] / ctx.train.length;
  const open = ctx.policyConfig.candidates.filter((c) => c.open).map((c) => c.id);
  const params = [...policy.parameters()].filter(([name]) => !name.startsWith("head."));
  const sgd = new Sgd(params, { lr: settings.generatorLr });
  // As JointRl: with `averageLast` > 1 the validated (and kept) adapters come from the mean of the last points' weights.
  const average = new ValidationAverage(params, settings.averageLast);
  const totalSteps = Math.max(1, settings.epochs * Math.ceil(ctx.train.length / settings.batchSize));
  const rng = new Rng(ctx.seed * 7919 + 23);
  const meanAdapters = () => new Map(open.map((id) => [id, policy.generate(id, feature)!]));

  let best = { reward: -Infinity, items: 0, adapters: meanAdapters() };
  let sinceBest = 0;
  let rollouts = 0;
  // As JointRl: 1 where an item's last pair was right on both episodes (skipped with probability 1 - settledRevisit).
  const settled = ctx.train.map(() => 0);
  let itemsSeen = 0;
  const history: StaticAdapters["history"] = [];

  const validate = async (): Promise<boolean> => {
    average.record();
    const adapters = await average.withAverage(async () => meanAdapters());
    const rewards = await episodesWith(ctx, ctx.valid.length > 0 ? ctx.valid : ctx.train, adapters);
    const validReward = rewards.reduce((s, r) => s + r.reward, 0) / Math.max(1, rewards.length);
    history.push({ items: itemsSeen, validReward });
    const verdict = judgeValidation(validReward, best.reward, settings.tieKeepsLater);
    if (verdict !== "worse") best = { reward: validReward, items: itemsSeen, adapters };
    sinceBest = verdict === "better" ? 0 : sinceBest + 1;
    ctx.onProgress?.({ phase: "validate", seed: ctx.seed, done: itemsSeen, total: settings.epochs * ctx.train.length, reward: validReward, message: `static adapters: validation reward ${validReward.toFixed(4)} after ${itemsSeen} items` });
    return sinceBest >= settings.patience;
  };

  let stoppedEarly = await validate();
  let step = 0;
  let sinceValidation = 0;
  for (let epoch = 0; epoch < settings.epochs && !stoppedEarly; epoch++) {
    const order = shuffle(ctx.train.map((_, i) => i), rng);
    for (let position = 0; position < order.length && !stoppedEarly; position += settings.batchSize) {
      ctx.signal?.throwIfAborted();
      const batch = order.slice(position, position + settings.batchSize);
      policy.parameters().zeroGrad();
      for (const i of batch) {
        const q = ctx.train[i];
        const assignment = ctx.route(q);
        const models = [...new Set(Object.values(assignment.choice))].filter((id) => open.includes(id));
        const outcome = async (adapters: ReadonlyMap<string, LoraAdapter>): Promise<PairOutcome> => {
          const [r] = await episodesWith(ctx, [q], adapters, () => assignment, 1);
          rollouts++;
          return { quality: r.quality, cost: r.normalisedCost, shaped: reward(shapePerformance(r.quality), r.normalisedCost, alpha) };
        };
        if (models.length === 0 || skipSettled(settled[i] === 1, settings.settledRevisit, rng)) continue;
        const [plus, minus] = await antitheticAdapterStep({ policy, feature, models, settings, rng, weight: 1 / batch.length, run: outcome });
        settled[i] = plus.quality >= 1 && minus.quality >= 1 ? 1 : 0;
      }
      sgd.lr = settings.generatorLr * (1 - (1 - settings.lrEnd) * Math.min(1, step / totalSteps));
      sgd.step();
      step++;
      itemsSeen += batch.length;
      sinceValidation += batch.length;
      ctx.onProgress?.({ phase: "rl", seed: ctx.seed, done: itemsSeen, total: settings.epochs * ctx.train.length, message: "static adapters" });
      const last = epoch === settings.epochs - 1 && position + settings.batchSize >= order.length;
      if (sinceValidation >= settings.validateEvery || last) {
        sinceValidation = 0;
        stoppedEarly = await validate();
      }
    }
  }
  return { adapters: best.adapters, bestValidReward: best.reward, bestAtItems: best.items, rollouts, stoppedEarly, history };
}

export interface StaticEpisode {
  item: string;
  assignment: Record<string, string>;
  quality: number;
  cost: number;
  normalisedCost: number;
  reward: number;
  tokens: Record<string, TokenCount>;
}

/** Episodes of `queries` under `route` with the given per-candidate adapters (none for a candidate not in the map). */
export async function episodesWith(
  ctx: Pick<StaticAdapterContext, "pipeline" | "route" | "alpha" | "normalizer" | "signal">,
  queries: readonly PreparedQuery[],
  adapters: ReadonlyMap<string, LoraAdapter>,
  route: (q: PreparedQuery) => Assignment = ctx.route,
  concurrency = 2,
): Promise<StaticEpisode[]> {
  const out = new Array<StaticEpisode>(queries.length);
  await runPool(
    queries.map((q, i) => ({ q, i })),
    concurrency,
    async ({ q, i }) => {
      const assignment = route(q);
      const perAgent: Partial<Record<AgentRole, LoraAdapter | null>> = {};
      for (const [agent, id] of Object.entries(assignment.choice)) perAgent[agent as AgentRole] = adapters.get(id) ?? null;
      const report = await ctx.pipeline.runEpisode(q, assignment, { alpha: ctx.alpha, adapters: perAgent, signal: ctx.signal });
      if (report.stoppedBecause === "aborted") throw ctx.signal?.reason ?? new Error("episode aborted");
      const quality = qualityOf(report);
      const normalisedCost = ctx.normalizer.normalise(report.cost.total);
      out[i] = { item: q.request.id!, assignment: assignment.choice, quality, cost: report.cost.total, normalisedCost, reward: reward(quality, normalisedCost, ctx.alpha), tokens: report.tokens };
    },
  );
  return out;
}
