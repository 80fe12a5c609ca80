/**
 * Checkpoint selection on the metric the evaluation scores: the mean validation reward quality - alpha * cost of the
 * router's own decisions, at every cost preference it will be asked to decide at (the evaluation's cost regimes).
 * The learned baselines with epochs (RouteLLM, IRT-Router, MLP router, GraphRouter) record it at a cadence while they
 * train and keep, per alpha, the checkpoint with the best one. On ties the later one is kept: a reward over a few
 * dozen items ties often, and of tied checkpoints the later has trained longer (on planted truth the earliest tied one
 * can still be badly calibrated: KnnMlpRouters.test.ts). Their originals select on their
 * training loss (battle BCE, IRT's BCE, MSE) or on macro-F1 (GraphRouter); those follow the reward only loosely, and
 * HAPS selects on validation reward, so every method now keeps its checkpoint by the one rule it is scored on.
 *
 * A decision at an alpha that was not selected for (a Pareto sweep's) uses the checkpoint of the nearest selected
 * alpha (the smaller one on ties). Without validation items the training items are judged (as the tuning does).
 */
import { reward } from "../metrics/reward/reward.ts";
import type { RoutingExample } from "./types.ts";

/** Where in training a checkpoint was taken: the epoch (1-based; 0 = before training) and the optimiser updates so far. */
export interface CheckpointStep {
  epoch: number;
  step: number;
}

/** The checkpoint kept for one alpha. */
export interface KeptCheckpoint extends CheckpointStep {
  validReward: number;
}

/** One evaluation of the validation reward, per alpha (keyed by String(alpha)). */
export interface RewardCurvePoint extends CheckpointStep {
  validReward: Record<string, number>;
}

/** What a baseline that selects checkpoints this way reports after fit. */
export interface CheckpointSelection {
  /** The kept checkpoint per selected alpha (keyed by String(alpha)). */
  kept: Record<string, KeptCheckpoint>;
  /** Every recorded point, in training order. */
  curve: readonly RewardCurvePoint[];
  /** Whether the judged items were the validation items or, without any, the training items. */
  judgedOn: "valid" | "train";
}

/** How often to record: every `every` epochs (and always at the last), for about `points` records over `epochs`. */
export function recordEvery(epochs: number, points = 100): number {
  return Math.max(1, Math.ceil(epochs / points));
}

/** Whether epoch `epoch` (1-based) of `epochs` is a recording point at cadence `every`. */
export function isRecordPoint(epoch: number, epochs: number, every: number): boolean {
  return epoch === epochs || epoch % every === 0;
}

/** Mean reward of `decide`'s choices over `examples` at `alpha`; a decision that throws scores quality 0 at cost 1. */
export function meanValidReward(examples: readonly RoutingExample[], decide: (example: RoutingExample) => number, alpha: number): number {
  if (examples.length === 0) return Number.NaN;
  let total = 0;
  for (const ex of examples) {
    let a: number;
    try {
      a = decide(ex);
    } catch {
      total += reward(0, 1, alpha);
      continue;
    }
    total += reward(ex.quality[a], ex.cost[a], alpha);
  }
  return total / examples.length;
}

/**
 * Records the validation reward of a model in training and keeps the best snapshot per alpha. `take` copies the model's
 * state; `put` writes a copy back. Snapshots are shared between alphas that keep the same point.
 */
export class RewardCheckpoints<S> {
  readonly curve: RewardCurvePoint[] = [];
  readonly alphas: readonly number[];
  readonly judgedOn: "valid" | "train";
  private readonly judged: readonly RoutingExample[];
  private readonly best = new Map<number, { point: KeptCheckpoint; snapshot: S }>();
  private loaded: S | null = null;

  constructor(
    valid: readonly RoutingExample[],
    train: readonly RoutingExample[],
    alphas: readonly number[] | undefined,
    private readonly io: { take(): S; put(snapshot: S): void },
  ) {
    const list = [...new Set(alphas == null || alphas.length === 0 ? [0] : alphas)];
    for (const a of list) if (!(Number.isFinite(a) && a >= 0)) throw new Error(`checkpoint selection: alpha must be a finite number >= 0, got ${a}`);
    this.alphas = list;
    this.judged = valid.length > 0 ? valid : train;
    this.judgedOn = valid.length > 0 ? "valid" : "train";
  }

  /** Evaluates the model as it is now (`decide` must use the current weights) and keeps it where it is the best so far. */
  record(at: CheckpointStep, decide: (example: RoutingExample, alpha: number) => number): void {
    const rewards: Record<string, number> = {};
    let snapshot: S | null = null;
    for (const a of this.alphas) {
      const r = meanValidReward(this.judged, (ex) => decide(ex, a), a);
      rewards[String(a)] = r;
      const b = this.best.get(a);
      if (b == null || r >= b.point.validReward - 1e-12) {
        snapshot ??= this.io.take();
        this.best.set(a, { point: { ...at, validReward: r }, snapshot });
      }
    }
    this.curve.push({ ...at, validReward: rewards });
    // The model moves on after a record: nothing kept is loaded.
    this.loaded = null;
  }

  /** The selected alpha whose checkpoint decides at `alpha`: itself, or the nearest (the smaller on ties). */
  selectedFor(alpha: number): number {
    let best = this.alphas[0];
    for (const a of this.alphas) {
      const d = Math.abs(a - alpha);
      const db = Math.abs(best - alpha);
      if (d < db - 1e-12 || (Math.abs(d - db) <= 1e-12 && a < best)) best = a;
    }
    return best;
  }

  /** Puts the checkpoint kept for `alpha` into the model (no copy when it is already there). Returns the selected alpha. */
  load(alpha: number): number {
    const selected = this.selectedFor(alpha);
    const b = this.best.get(selected);
    if (b == null) throw new Error("checkpoint selection: load called before any record");
    if (b.snapshot !== this.loaded) {
      this.io.put(b.snapshot);
      this.loaded = b.snapshot;
    }
    return selected;
  }

  /** The report of what was kept. */
  selection(): CheckpointSelection {
    const kept: Record<string, KeptCheckpoint> = {};
    for (const [a, b] of this.best) kept[String(a)] = { ...b.point };
    return { kept, curve: this.curve, judgedOn: this.judgedOn };
  }
}
