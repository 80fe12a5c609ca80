// Phase 2 of the paper's Algorithm 3: joint on-policy optimisation of the high-level router and the LoRA generators.
//
// The paper's objective (Eq. 5 / Eq. 9) is the reward-weighted negative log-likelihood of the joint choice of
// architecture and parameters: loss = -R * log p(a, theta | prompt), with the shaping R = -1 when the task metric
// is 0. In the reference code log p(theta) is the log-likelihood of the tokens the LoRA-injected models emitted,
// differentiated through the LLMs with autograd. llama.cpp gives no gradients, so the parameter part needs a policy
// whose likelihood we can differentiate in TypeScript. We make the generated parameters the stochastic action: the
// generator's output mu(f) is the mean of a Gaussian, theta = mu + sigma * eps, and
//
//   loss = -(R - b) * log pi(a | f, alpha)  -  sum over open models m in a of  A_m * log N(theta_m; mu_m(f), sigma^2)
//
// The first term is REINFORCE on the assignment with a per-item baseline b (initialised to the item's expected
// no-adapter reward under the warm-started policy, from the action-level data; then an exponential average). The
// second is REINFORCE on the parameters with antithetic pairs: each rollout runs the episode twice, with mu + sigma
// eps and with mu - sigma eps, and A_m = (R+ - R-) / 2, so that d/dmu = (R+ - R-) / (2 sigma) * eps - the central
// difference of the Gaussian-smoothed reward along eps: an unbiased estimate of the gradient of the expected reward
// under the smoothing (the score-function identity behind Eq. 9), with far less variance than a lone sample, since
// the pair shares the query, the assignment and everything the noise does not touch. Both terms reach the shared
// trunk. Closed candidates have no generator and no term (the paper's open/closed mask, Eq. 6).
//
// What we measured on the keyword benchmark (src/core/benchmark) to get here, starting from the probe figures in
// ../shared/NOTES.md (Gaussian exploration with antithetic pairs learned per-query adapters in ~2-6k evaluations; ES
// on the generator's weights needed ~10x more; training only on failures broke known items, so every item is trained
// on; a log-probability reward drifted, hence the task reward shaped to +-1 as the paper does):
//  - noise goes on B only (`explore`): a LoRA update is bilinear, and with noise on both factors around a small
//    mean, +eps and -eps give the same update, so the pairs carried no signal (the items no model knew never moved);
//  - the generators and the shared trunk step with plain SGD, the head with Adam: Adam's per-weight normalisation
//    turned the mostly-zero, mostly-noise estimates into drift that broke known items (the unknown items stayed at
//    0-40% right while tuning the first benchmark);
//  - a small penalty on |B| (`bPenalty`) keeps what the reward never rewarded from growing (the NOTES' RMSNorm pitfall);
//  - the per-query map is learnable but slow: on the proof's context group one generator alone on a fixed assignment
//    needed ~400 context items to answer 0.9 of held-out ones (docs/proof-dev). Two settings spend the budget better:
//    an item whose last pair was right on both episodes carries no signal and is run again only with probability
//    `settledRevisit`, and `tieKeepsLater` keeps training past a saturated validation set; `averageLast` validates
//    the mean of the last validation points' generators (ValidationAverage.ts). With those (and rollouts at
//    temperature 0.05, anchorWeight 0.25, sigma 0.75, 30 epochs, patience 20) the committed proof run (seeds
//    9501-9503, proof/report.md) has HAPS's generated adapters at 0.938 / 0.938 / 0.844 right on the context group's
//    held-out items, 0.906 on the mean where its margin asks for 0.90.
// The static-adapter baseline (baselines/StaticAdapter.ts) learns with this file's `antitheticAdapterStep`,
// `resolveRlBudget`, `skipSettled` and `judgeValidation`: the same estimator and budget, only blind to the query.
// Added to keep alpha meaningful after RL: the head's predicted quality and normalised cost of the sampled assignment
// are regressed to what its two episodes achieved (`valueWeight`), so Q and C stay calibrated to the system with
// adapters. By default this regression is the head's only RL signal (`headPolicyWeight` 0): the first term above,
// -(R - b) log pi(a), moves Q - alpha C as a free logit, and after it Q and C no longer meant quality and cost (issue 15:
// a trained router kept the costliest assignment at every alpha). The head's policy is then the Boltzmann policy of its
// calibrated reward estimate, improved on-policy by what the sampled assignments achieved with their adapters; the
// paper's term stays available (`headPolicyWeight` > 0). The rollouts only reach the sampled assignment, and through the
// shared layers they moved the other assignments' predictions away from their observed values (on the development
// benchmark, a seed's chosen no-adapter cost rose by 0.037 between two alphas after RL): so each training item's
// action-level rows are regressed again as it is visited (`anchorWeight`), which keeps every assignment's Q and C tied to
// what was observed. Step sizes decay linearly (the reference's LinearLR); the router's
// gradients are norm-clipped. Validation every `validateEvery` training items with greedy routing and mean adapters;
// the best validation reward is checkpointed atomically, and `patience` validations without improvement stop the
// phase (the paper: 30 and 4). A run killed at any point resumes from its last validation.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { LoraAdapter } from "../adapters/types.ts";
import { loadCheckpoint, saveCheckpoint, writeAtomically } from "../checkpoint/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../checkpoint/safetensors.ts";
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import type { PreparedQuery } from "../episode/types.ts";
import type { CostNormalizer } from "../metrics/index.ts";
import { reward, shapePerformance } from "../metrics/index.ts";
import { Adam } from "../nn/Adam.ts";
import { ParameterSet } from "../nn/ParameterSet.ts";
import { Sgd } from "../nn/Sgd.ts";
import { Rng, type RngState } from "../nn/Rng.ts";
import type { AgentRole } from "../protocols/types.ts";
import type { HapsPolicy } from "../router/HapsPolicy.ts";
import { evaluateRouter } from "./evaluateRouter.ts";
import { qualityOf } from "./episodes.ts";
import { shuffle } from "./loadSplits.ts";
import { pace, type TrainingProgress } from "./progress.ts";
import { ValidationAverage } from "./ValidationAverage.ts";
import type { RlSettings } from "./TrainSpec.ts";

export interface RlItem {
  prepared: PreparedQuery;
  /** Expected shaped reward of the item under the warm-started policy without adapters (the first baseline). */
  baseline: number;
  /** The item's action-level outcomes (every assignment, no adapters), for the calibration anchor (`anchorWeight`). */
  outcomes?: { choices: number[]; quality: number; cost: number }[];
}

export interface RlResult {
  /** Validation reward after each validation, with the number of training items seen. */
  history: { items: number; step: number; validReward: number; trainReward: number | null }[];
  bestValidReward: number;
  bestAtItems: number;
  stoppedEarly: boolean;
  rollouts: number;
  resumed: boolean;
}

export interface RlContext {
  /** A pipeline deciding with `policy` (HapsPipeline.withPolicy). */
  pipeline: HapsPipeline;
  policy: HapsPolicy;
  train: readonly RlItem[];
  valid: readonly PreparedQuery[];
  settings: RlSettings;
  alpha: number;
  normalizer: CostNormalizer;
  seed: number;
  /** The best checkpoint goes to `dir/checkpoint`, the resumable state to `dir/state`. */
  dir: string;
  /** Written into the checkpoint manifest's `extra` with the validation reward. */
  extra: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
}

/** Where a run stands at a validation point: enough to resume exactly from there. */
export interface RunState {
  step: number;
  itemsSeen: number;
  epoch: number;
  position: number;
  order: number[];
  rng: RngState;
  baselines: number[];
  /** 1 where the item's last antithetic pair was right on both episodes (see `settledRevisit`). */
  settled: number[];
  best: number;
  bestAtItems: number;
  sinceBest: number;
  rollouts: number;
  history: RlResult["history"];
  rewardSum: number;
  rewardCount: number;
}

export async function jointRl(ctx: RlContext): Promise<RlResult> {
  const { policy, settings, alpha } = ctx;
  const params = policy.parameters();
  // The head's own layers step with Adam, clipped; everything the generators' evolution-strategy estimates reach -
  // their own layers and the shared trunk - with plain SGD, whose steps stay proportional to the estimate (see
  // Sgd.ts for why not Adam: on the trunk too, Adam turned the generators' noise into drift that moved every
  // generator's input).
  const isHead = (name: string) => name.startsWith("head.");
  const routerParams = new ParameterSet();
  for (const [name, p] of params) if (isHead(name)) routerParams.add(name, p);
  const routerAdam = new Adam(routerParams, { lr: settings.lr, weightDecay: settings.weightDecay });
  const generatorSgd = new Sgd([...params].filter(([n]) => !isHead(n)), { lr: settings.generatorLr });
  // With `averageLast` > 1, validation sees the mean of the last validation points' generators and trunk (the head live).
  const average = new ValidationAverage(params, settings.averageLast, ["head."]);
  const optimisers = { router: routerAdam, generators: generatorSgd, average };
  const stepsPerEpoch = Math.ceil(ctx.train.length / settings.batchSize);
  const { epochs, validateEvery, patience } = resolveRlBudget(settings, ctx.train.length);
  const totalSteps = Math.max(1, epochs * stepsPerEpoch);
  const checkpointDir = path.join(ctx.dir, "checkpoint");
  const stateDir = path.join(ctx.dir, "state");

  let state: RunState;
  let rng: Rng;
  const resumed = await loadState(stateDir, policy, optimisers);
  if (resumed != null) {
    state = resumed;
    state.settled ??= ctx.train.map(() => 0);
    rng = Rng.fromState(state.rng);
    ctx.onProgress?.({ phase: "rl", seed: ctx.seed, done: state.itemsSeen, total: epochs * ctx.train.length, message: `resumed after ${state.itemsSeen} items (step ${state.step})` });
  } else {
    rng = new Rng(ctx.seed * 7919 + 17);
    state = {
      step: 0,
      itemsSeen: 0,
      epoch: 0,
      position: 0,
      order: shuffle(ctx.train.map((_, i) => i), rng),
      rng: rng.getState(),
      baselines: ctx.train.map((t) => t.baseline),
      settled: ctx.train.map(() => 0),
      best: -Infinity,
      bestAtItems: 0,
      sinceBest: 0,
      rollouts: 0,
      history: [],
      rewardSum: 0,
      rewardCount: 0,
    };
    // The warm-started router is the first candidate for the best checkpoint: RL can only improve on it.
    await validate();
  }

  const started = performance.now();
  const startItems = state.itemsSeen;
  const totalItems = epochs * ctx.train.length;
  let stoppedEarly = state.sinceBest >= patience;
  let sinceValidation = 0;
  const savedTemperature = policy.head.temperature;
  try {
    while (!stoppedEarly && state.epoch < epochs) {
      ctx.signal?.throwIfAborted();
      const batch = state.order.slice(state.position, state.position + settings.batchSize);
      policy.head.temperature = settings.temperature;
      params.zeroGrad();
      for (const i of batch) {
        const outcomes = ctx.train[i].outcomes;
        if (settings.anchorWeight > 0 && outcomes != null && outcomes.length > 0) {
          policy.head.backwardRegression(ctx.train[i].prepared.feature, outcomes, { weight: settings.anchorWeight / batch.length, alpha });
        }
        if (skipSettled(state.settled[i] === 1, settings.settledRevisit, rng)) continue;
        const r = await rollout(ctx.train[i].prepared, batch.length, state.baselines[i]);
        state.settled[i] = r.settled ? 1 : 0;
        state.baselines[i] = 0.8 * state.baselines[i] + 0.2 * r.mean;
        state.rewardSum += r.mean;
        state.rewardCount++;
      }
      policy.head.temperature = savedTemperature;
      routerParams.clipGradNorm(settings.maxGradNorm);
      const decay = 1 - (1 - settings.lrEnd) * Math.min(1, state.step / totalSteps);
      routerAdam.lr = settings.lr * decay;
      generatorSgd.lr = settings.generatorLr * decay;
      routerAdam.step();
      generatorSgd.step();
      state.step++;
      state.itemsSeen += batch.length;
      sinceValidation += batch.length;
      state.position += batch.length;
      if (state.position >= state.order.length) {
        state.epoch++;
        state.position = 0;
        state.order = shuffle(ctx.train.map((_, i) => i), rng);
      }
      ctx.onProgress?.({
        phase: "rl",
        seed: ctx.seed,
        done: state.itemsSeen,
        total: totalItems,
        reward: state.rewardSum / state.rewardCount,
        ...pace(started, state.itemsSeen - startItems, totalItems - startItems),
      });
      const endOfRun = state.epoch >= epochs;
      if (sinceValidation >= validateEvery || endOfRun) {
        sinceValidation = 0;
        state.rng = rng.getState();
        stoppedEarly = await validate();
        await saveState(stateDir, policy, optimisers, state);
      }
    }
  } finally {
    policy.head.temperature = savedTemperature;
  }
  // The phase ends on the best weights seen.
  const best = await loadCheckpoint(checkpointDir, policy.config);
  for (const [name, p] of policy.parameters()) p.data.set(best.policy.parameters().get(name).data);
  return { history: state.history, bestValidReward: state.best, bestAtItems: state.bestAtItems, stoppedEarly, rollouts: state.rollouts, resumed: resumed != null };

  /** One item: sample an assignment and parameters, run the antithetic pair, accumulate both gradients. */
  async function rollout(prepared: PreparedQuery, batchSize: number, baseline: number): Promise<{ mean: number; settled: boolean }> {
    const f = prepared.feature;
    const a = policy.route(f, alpha, rng);
    const assignment = policy.head.toAssignment(a);
    const open = [...new Set(a.candidateIds)].filter((id) => settings.adapters && policy.generator(id) != null);
    const outcome = async (adapters: ReadonlyMap<string, LoraAdapter> | null): Promise<PairOutcome> => {
      const perAgent: Partial<Record<AgentRole, LoraAdapter | null>> = {};
      if (adapters != null) for (const [agent, id] of Object.entries(assignment.choice)) perAgent[agent as AgentRole] = adapters.get(id) ?? null;
      const report = await ctx.pipeline.runEpisode(prepared, assignment, { alpha, adapters: adapters != null ? perAgent : "none", signal: ctx.signal });
      if (report.stoppedBecause === "aborted") throw ctx.signal?.reason ?? new Error("episode aborted");
      state.rollouts++;
      const quality = qualityOf(report);
      const cost = ctx.normalizer.normalise(report.cost.total);
      return { quality, cost, shaped: reward(shapePerformance(quality), cost, alpha) };
    };
    const [plus, minus] =
      open.length > 0
        ? await antitheticAdapterStep({ policy, feature: f, models: open, settings, rng, weight: 1 / batchSize, run: outcome })
        : await outcome(null).then((o) => [o, o]);
    const mean = (plus.shaped + minus.shaped) / 2;
    if (settings.headPolicyWeight > 0) policy.head.backwardPolicy(f, alpha, a.choices, (settings.headPolicyWeight * (mean - baseline)) / batchSize);
    if (settings.valueWeight > 0) {
      policy.head.backwardRegression(f, [{ choices: a.choices, quality: (plus.quality + minus.quality) / 2, cost: (plus.cost + minus.cost) / 2 }], {
        weight: settings.valueWeight / batchSize,
        alpha,
      });
    }
    return { mean, settled: open.length > 0 && plus.quality >= 1 && minus.quality >= 1 };
  }

  /** Validation on the held-out validation items (of the averaged weights, see `average`); saves the best checkpoint. Returns whether to stop. */
  async function validate(): Promise<boolean> {
    average.record();
    return average.withAverage(validateAndKeep);
  }

  async function validateAndKeep(): Promise<boolean> {
    const rows = await evaluateRouter(ctx.pipeline, ctx.valid, { alpha, adapters: settings.adapters ? "generated" : "none", normalizer: ctx.normalizer, signal: ctx.signal, concurrency: 2 });
    const validReward = rows.length === 0 ? 0 : rows.reduce((s, r) => s + r.reward, 0) / rows.length;
    const trainReward = state.rewardCount > 0 ? state.rewardSum / state.rewardCount : null;
    state.history.push({ items: state.itemsSeen, step: state.step, validReward, trainReward });
    state.rewardSum = 0;
    state.rewardCount = 0;
    const verdict = judgeValidation(validReward, state.best, settings.tieKeepsLater);
    if (verdict !== "worse") {
      if (verdict === "better") state.sinceBest = 0;
      else state.sinceBest++;
      state.best = validReward;
      state.bestAtItems = state.itemsSeen;
      await saveCheckpoint(policy, checkpointDir, { extra: { ...ctx.extra, validReward, itemsSeen: state.itemsSeen } });
    } else {
      state.sinceBest++;
    }
    ctx.onProgress?.({
      phase: "validate",
      seed: ctx.seed,
      done: state.itemsSeen,
      total: epochs * ctx.train.length,
      reward: validReward,
      message: `validation reward ${validReward.toFixed(4)} after ${state.itemsSeen} items (best ${state.best.toFixed(4)})`,
    });
    return state.sinceBest >= patience;
  }
}

/** What one antithetic episode achieved: the task metric, the normalised cost and the shaped reward. */
export interface PairOutcome {
  quality: number;
  cost: number;
  shaped: number;
}

/**
 * The low-level router's estimator, one item's worth, shared by HAPS's joint RL and the static-adapter baseline
 * (baselines/StaticAdapter.ts) so that both learn their adapters the same way: for each open candidate in the
 * assignment, theta+ = mu(f) + sigma eps on the explored factor(s) and its mirror theta- = mu(f) - sigma eps; `run`
 * plays the episode under each (on two contexts at once), and every generator accumulates the central difference
 * (R+ - R-) / 2 of the shaped reward times `weight` (1 / batch size), plus the |B| penalty. Returns both outcomes.
 */
export async function antitheticAdapterStep(o: {
  policy: HapsPolicy;
  feature: ArrayLike<number>;
  /** Open candidates of the assignment (one sample each, shared by every agent it serves). */
  models: readonly string[];
  settings: Pick<RlSettings, "sigma" | "explore" | "bPenalty">;
  rng: Rng;
  weight: number;
  run: (adapters: ReadonlyMap<string, LoraAdapter>) => Promise<PairOutcome>;
}): Promise<[PairOutcome, PairOutcome]> {
  const { policy, feature: f, settings, rng } = o;
  const factors = settings.explore === "alternate" ? (rng.uniform() < 0.5 ? "a" : "b") : settings.explore;
  const samples = new Map(o.models.map((id) => [id, policy.sampleAdapter(id, f, settings.sigma, rng, factors)!]));
  const plusAdapters = new Map([...samples].map(([id, s]) => [id, s.adapter]));
  const minusAdapters = new Map([...samples].map(([id, s]) => [id, mirror(policy.generate(id, f)!, s.adapter)]));
  const [plus, minus] = await Promise.all([o.run(plusAdapters), o.run(minusAdapters)]);
  for (const [id, s] of samples) {
    policy.backwardAdapter(id, f, s.noise, ((plus.shaped - minus.shaped) / 2) * o.weight);
    if (settings.bPenalty > 0) policy.generator(id)!.backwardNormPenalty(f, settings.bPenalty * o.weight);
  }
  return [plus, minus];
}

/**
 * Whether to pass over an item this time: only a settled one (its last antithetic pair was right on both episodes, so
 * its central difference was zero), with probability 1 - `revisit`. No draw at all when `revisit` is 1, so the default
 * consumes the random stream exactly as before the setting existed.
 */
export function skipSettled(settled: boolean, revisit: number, rng: Rng): boolean {
  if (!settled || revisit >= 1) return false;
  return rng.uniform() >= revisit;
}

/**
 * A validation against the best so far: "better" (a new best; patience restarts), "tie" (equal, and `tieKeepsLater`:
 * the later weights, which have seen more training, replace the kept ones, but patience still counts it as no
 * improvement) or "worse". A small validation set saturates (on the keyword benchmark's development seeds 32 of 34
 * from a third of the run on), and a strict rule then keeps the first weights that reached it.
 */
export function judgeValidation(validReward: number, best: number, tieKeepsLater: boolean): "better" | "tie" | "worse" {
  if (validReward > best + 1e-12) return "better";
  if (tieKeepsLater && Math.abs(validReward - best) <= 1e-12) return "tie";
  return "worse";
}

/**
 * Whether RL's kept weights validated better than the warm-up's (the first validation). With `tieKeepsLater` the kept
 * weights may come from after the warm-up at an equal reward, so "kept after 0 items" no longer says it.
 */
export function rlImproved(result: Pick<RlResult, "history" | "bestValidReward">): boolean {
  const warmUp = result.history[0]?.validReward;
  return warmUp != null && result.bestValidReward > warmUp + 1e-12;
}

/** The RL budget on this many training items: epochs, validation cadence and patience with `auto` resolved. */
export function resolveRlBudget(settings: Pick<RlSettings, "epochs" | "validateEvery" | "patience">, trainItems: number): { epochs: number; validateEvery: number; patience: number } {
  const validateEvery = resolveValidateEvery(settings.validateEvery, trainItems);
  return { epochs: resolveRlEpochs(settings.epochs, trainItems), validateEvery, patience: resolvePatience(settings.patience, validateEvery) };
}

/** RL's epoch count: `auto` is enough to see 640 training items, at least 3 (see TrainSpec). */
export function resolveRlEpochs(setting: RlSettings["epochs"], trainItems: number): number {
  return setting === "auto" ? Math.max(3, Math.ceil(640 / Math.max(1, trainItems))) : setting;
}

/** Validations without improvement before RL stops: `auto` covers 320 training items, at least 4 (see TrainSpec). */
export function resolvePatience(setting: RlSettings["patience"], validateEvery: number): number {
  return setting === "auto" ? Math.max(4, Math.ceil(320 / validateEvery)) : setting;
}

/** The validation cadence in training items: `auto` is a third of the training items, at least 8. */
export function resolveValidateEvery(setting: RlSettings["validateEvery"], trainItems: number): number {
  return setting === "auto" ? Math.max(8, Math.ceil(trainItems / 3)) : setting;
}

/** theta- = 2 mu - theta+: the antithetic partner of a sampled adapter. */
export function mirror(mean: LoraAdapter, plus: LoraAdapter): LoraAdapter {
  return {
    ...plus,
    layers: plus.layers.map((l, i) => ({
      ...l,
      a: l.a.map((v, k) => 2 * mean.layers[i].a[k] - v),
      b: l.b.map((v, k) => 2 * mean.layers[i].b[k] - v),
    })),
  };
}

const STATE_FILE = "state.json";
const MOMENTS_FILE = "adam.safetensors";

export type Optimisers = { router: Adam; generators: Sgd; average: ValidationAverage };

/** Current weights (as a checkpoint), the optimisers' state and the loop's position, written at each validation. */
export async function saveState(dir: string, policy: HapsPolicy, optimisers: Optimisers, state: RunState): Promise<void> {
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [];
  const moments = optimisers.router.getState();
  moments.m.forEach((m, k) => tensors.push([`router.m.${k}`, { shape: [m.length], data: m }]));
  moments.v.forEach((v, k) => tensors.push([`router.v.${k}`, { shape: [v.length], data: v }]));
  const sgd = optimisers.generators.getState();
  sgd.velocity.forEach((v, k) => tensors.push([`generators.velocity.${k}`, { shape: [v.length], data: v }]));
  const { snapshots } = optimisers.average.getState();
  snapshots.forEach((s, i) => s.forEach((x, k) => tensors.push([`average.${i}.${k}`, { shape: [x.length], data: x }])));
  const steps = { "step.router": String(moments.step), "step.generators": String(sgd.step), "average.snapshots": String(snapshots.length) };
  await saveCheckpoint(policy, path.join(dir, "weights"));
  await writeAtomically(path.join(dir, MOMENTS_FILE), encodeSafetensors(tensors, steps));
  // The state file goes last: it is what makes a resume happen, so it must only name files already complete.
  await writeAtomically(path.join(dir, STATE_FILE), new TextEncoder().encode(JSON.stringify(state)));
}

export async function loadState(dir: string, policy: HapsPolicy, optimisers: Optimisers): Promise<RunState | null> {
  const file = path.join(dir, STATE_FILE);
  if (!existsSync(file)) return null;
  const state = JSON.parse(await readFile(file, "utf8")) as RunState;
  const weights = await loadCheckpoint(path.join(dir, "weights"), policy.config);
  for (const [name, p] of policy.parameters()) p.data.set(weights.policy.parameters().get(name).data);
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(await readFile(path.join(dir, MOMENTS_FILE))), path.join(dir, MOMENTS_FILE));
  const get = (name: string) => {
    const t = tensors.get(name);
    if (t == null) throw new Error(`${path.join(dir, MOMENTS_FILE)}: tensor "${name}" is missing; delete ${dir} to restart the phase`);
    return t.data;
  };
  const count = optimisers.router.getState().m.length;
  optimisers.router.setState({
    step: Number(metadata["step.router"]),
    m: Array.from({ length: count }, (_, k) => get(`router.m.${k}`)),
    v: Array.from({ length: count }, (_, k) => get(`router.v.${k}`)),
  });
  const buffers = optimisers.generators.getState().velocity.length;
  optimisers.generators.setState({ step: Number(metadata["step.generators"]), velocity: Array.from({ length: buffers }, (_, k) => get(`generators.velocity.${k}`)) });
  // A state written before averaging existed has no snapshots: the average restarts from the next validation point.
  const averaged = optimisers.average.names.length;
  optimisers.average.setState({
    snapshots: Array.from({ length: Number(metadata["average.snapshots"] ?? 0) }, (_, i) => Array.from({ length: averaged }, (_, k) => get(`average.${i}.${k}`))),
  });
  return state;
}
