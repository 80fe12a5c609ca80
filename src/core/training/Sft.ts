// Phase 1 of the paper's Algorithm 3: supervised warm-up of the high-level router on the action-level data.
//
// `tuples` (default): every assignment's observed quality and normalised cost are regression targets for the head's
// Q and C - full-information supervision, and what makes alpha act at query time (pi ~ softmax((Q - alpha C)/T)).
// `best` (the paper): cross-entropy on each item's best-reward assignment at the spec's alpha, ties broken uniformly
// at random (seeded, once per item), optionally reweighted by inverse label frequency (the paper's remedy for label
// imbalance). Only the head and the trunk learn here; the generators wait for phase 2.
//
// Before the first step the feature statistics are fitted on the training items (HapsPolicy.fitFeatureStandardizer):
// from here on the trunk reads the standardised feature, in RL, in the checkpoint and at query time.
//
// After each epoch the validation items are measured from the same data, and the best epoch's weights are kept. With
// `tuples` the criterion is the validation error of Q and C (mean squared error over every observed assignment): the
// head must stay a calibrated predictor of quality and cost for alpha to act at query time, and the routing value at
// the training alpha alone cannot see that (on the development benchmark at alpha 0 it was flat after one epoch, and
// keeping that epoch left C near its initial 0, so the head ignored cost at every alpha). With `best` it is the routing
// value (the observed reward of the assignment the head picks), the paper's target. Both are in the history.
import { Adam } from "../nn/Adam.ts";
import type { Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import type { HapsPolicy } from "../router/HapsPolicy.ts";
import { shuffle } from "./loadSplits.ts";
import type { TrainingProgress } from "./progress.ts";
import type { SftSettings } from "./TrainSpec.ts";

/** One item's action-level outcomes, as the head sees them. */
export interface SupervisedItem {
  id: string;
  feature: ArrayLike<number>;
  /** One per observed assignment: candidate index per agent, quality, normalised cost. */
  outcomes: { choices: number[]; quality: number; cost: number }[];
}

export interface SftResult {
  history: { epoch: number; loss: number; validReward: number | null; validError: number | null }[];
  /** The epoch whose weights were kept (0: the initial weights). */
  bestEpoch: number;
  bestValidReward: number | null;
  /** The kept epoch's validation error of Q and C (null without validation items). */
  bestValidError: number | null;
}

/** Mean squared error of the head's Q and C over every observed assignment of `items`. */
export function regressionError(policy: HapsPolicy, items: readonly SupervisedItem[]): number {
  let sum = 0;
  let count = 0;
  for (const item of items) {
    for (const o of item.outcomes) {
      const p = policy.head.predict(item.feature, o.choices);
      sum += (p.quality - o.quality) ** 2 + (p.cost - o.cost) ** 2;
      count += 2;
    }
  }
  return count === 0 ? NaN : sum / count;
}

/** The observed reward of assignment `choices` on an item (quality - alpha * normalised cost). */
export function observedReward(item: SupervisedItem, choices: readonly number[], alpha: number): number {
  const o = item.outcomes.find((x) => x.choices.every((m, n) => m === choices[n]));
  if (o == null) throw new Error(`item "${item.id}" has no observed outcome for assignment [${choices.join(", ")}]`);
  return o.quality - alpha * o.cost;
}

/** Mean observed reward of the head's greedy choice over `items`. */
export function routingValue(policy: HapsPolicy, items: readonly SupervisedItem[], alpha: number): number {
  if (items.length === 0) return NaN;
  return items.reduce((s, item) => s + observedReward(item, policy.head.argmax(item.feature, alpha).choices, alpha), 0) / items.length;
}

export function warmUp(
  policy: HapsPolicy,
  data: { train: readonly SupervisedItem[]; valid: readonly SupervisedItem[] },
  settings: SftSettings,
  alpha: number,
  rng: Rng,
  onProgress?: (p: TrainingProgress) => void,
): SftResult {
  const head = policy.head;
  const epochs = resolveSftEpochs(settings.epochs, data.train.length, settings.batchSize);
  if (data.train.length > 0) policy.fitFeatureStandardizer(data.train.map((i) => i.feature));
  const params = [...policy.parameters()].filter(([name]) => name.startsWith("trunk.") || name.startsWith("head."));
  const adam = new Adam(params, { lr: settings.lr });
  const labels = settings.target === "best" ? bestLabels(data.train, alpha, rng) : null;
  const weights = labels != null && settings.reweight ? inverseFrequency(labels.map((l) => head.assignmentIndex(l)), head.assignmentCount) : null;

  const value = () => (data.valid.length > 0 ? routingValue(policy, data.valid, alpha) : null);
  const error = () => (data.valid.length > 0 ? regressionError(policy, data.valid) : null);
  // Higher is better: the routing value (`best`), or minus the regression error (`tuples`).
  const criterion = (h: SftResult["history"][number]) => (labels == null ? -(h.validError ?? NaN) : (h.validReward ?? NaN));
  const history: SftResult["history"] = [{ epoch: 0, loss: NaN, validReward: value(), validError: error() }];
  let best = { epoch: 0, score: criterion(history[0]), weights: snapshot(params) };
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let loss = 0;
    const order = shuffle(data.train.map((_, i) => i), rng);
    for (let start = 0; start < order.length; start += settings.batchSize) {
      const batch = order.slice(start, start + settings.batchSize);
      adam.zeroGrad();
      for (const i of batch) {
        const item = data.train[i];
        if (labels == null) {
          loss += head.backwardRegression(item.feature, item.outcomes, { weight: 1 / batch.length, alpha });
        } else {
          const w = (weights?.[head.assignmentIndex(labels[i])] ?? 1) / batch.length;
          loss -= w * head.backwardPolicy(item.feature, alpha, labels[i], w);
        }
      }
      adam.step();
    }
    const validReward = value();
    const entry = { epoch, loss: loss / Math.max(1, data.train.length), validReward, validError: error() };
    history.push(entry);
    // Ties keep the earlier epoch: fewer steps away from the data is no worse a guess.
    const score = criterion(entry);
    if (data.valid.length > 0 && (Number.isNaN(best.score) || score > best.score)) best = { epoch, score, weights: snapshot(params) };
    onProgress?.({ phase: "sft", done: epoch, total: epochs, reward: validReward ?? undefined });
  }
  if (data.valid.length > 0) restore(params, best.weights);
  else best = { epoch: epochs, score: NaN, weights: [] };
  const kept = history[best.epoch];
  return { history, bestEpoch: best.epoch, bestValidReward: kept.validReward, bestValidError: kept.validError };
}

/** The warm-up's epoch count: `auto` is enough for 1600 optimiser steps, at least 200 (see TrainSpec). */
export function resolveSftEpochs(setting: SftSettings["epochs"], trainItems: number, batchSize: number): number {
  if (setting !== "auto") return setting;
  return Math.max(200, Math.ceil(1600 / Math.max(1, Math.ceil(trainItems / batchSize))));
}

/** Each item's best-reward assignment; ties broken uniformly at random (the paper, Appendix C). */
export function bestLabels(items: readonly SupervisedItem[], alpha: number, rng: Rng): number[][] {
  return items.map((item) => {
    const rewards = item.outcomes.map((o) => o.quality - alpha * o.cost);
    const top = Math.max(...rewards);
    const tied = item.outcomes.filter((_, k) => rewards[k] === top);
    return tied[rng.int(tied.length)].choices;
  });
}

/** Per assignment index, n / (labels present * count): mean weight 1 over the labels, rare labels weigh more. */
function inverseFrequency(labelIndices: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const j of labelIndices) counts[j]++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labelIndices.length / (present * c) : 0));
}

function snapshot(params: [string, Parameter][]): Float32Array[] {
  return params.map(([, p]) => Float32Array.from(p.data));
}

function restore(params: [string, Parameter][], weights: Float32Array[]): void {
  params.forEach(([, p], i) => p.data.set(weights[i]));
}
