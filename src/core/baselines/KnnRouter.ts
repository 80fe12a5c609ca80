/**
 * k-nearest-neighbour routing: the sanity baseline the routing field expects (RouterBench and RouterEval report a kNN
 * router next to learned ones). An item goes to the assignment with the best mean observed reward
 * quality - alpha * cost over its k most similar training items, by cosine similarity of the routing feature.
 *
 * Cosine on the raw pooled feature of a router LLM is nearly 1 for every pair (a large common component), so `haps
 * eval` feeds it the standardised feature (StandardizedBaseline.ts), as every other learned baseline.
 *
 * k is chosen on the validation split (the mean reward over the alphas asked for at fit, ties to the smaller k) from
 * `ks`; without validation items, by leave-one-out on the training items. Ties between assignments go to the cheaper
 * one (mean neighbour cost), then to the lower index.
 */
import { checkAlpha, checkQuery, checkRoutingExamples, type ExampleWidths } from "./checkRoutingExamples.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";

export interface KnnRouterOptions {
  /** The neighbour counts tried (those above the number of training items are dropped). Defaults to `[1, 3, 5, 9, 15]`. */
  ks?: readonly number[];
}

interface Neighbour {
  id: string;
  unit: Float64Array;
  quality: readonly number[];
  cost: readonly number[];
}

export class KnnRouter implements Baseline {
  readonly name = "kNN router";
  readonly weighsCost = true;
  readonly ks: readonly number[];
  private train: Neighbour[] = [];
  private widths: ExampleWidths | null = null;
  private kValue = 0;
  private count = 0;

  constructor(options: KnnRouterOptions = {}) {
    this.ks = options.ks ?? [1, 3, 5, 9, 15];
    if (!Array.isArray(this.ks) || this.ks.length === 0 || this.ks.some((k) => !Number.isInteger(k) || k < 1)) {
      throw new Error(`KnnRouter: option ks must be a non-empty list of positive integers, got ${JSON.stringify(this.ks)}`);
    }
  }

  /** The neighbour count chosen at fit. */
  get k(): number {
    if (this.kValue === 0) throw new Error("KnnRouter: k read before fit");
    return this.kValue;
  }

  fit(train: readonly RoutingExample[], valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void {
    const widths = checkRoutingExamples(train, space, "KnnRouter.fit (train)");
    checkRoutingExamples(valid, space, "KnnRouter.fit (valid)", widths);
    if (train.length === 0) throw new Error("KnnRouter.fit: needs at least one training item");
    this.widths = widths;
    this.count = space.assignments.length;
    this.train = train.map((ex) => ({ id: ex.id, unit: unit(ex.embedding), quality: ex.quality, cost: ex.cost }));
    const alphas = options.alphas ?? [0];
    alphas.forEach((a) => checkAlpha(a, "KnnRouter.fit"));
    const ks = [...new Set(this.ks.filter((k) => k <= train.length))].sort((a, b) => a - b);
    if (ks.length === 0) ks.push(train.length);
    // Without validation items each training item is judged by the others (leave-one-out).
    const judged = valid.length > 0 ? valid.map((ex) => ({ ex, skip: "" })) : train.map((ex) => ({ ex, skip: ex.id }));
    let best = -Infinity;
    for (const k of ks) {
      let total = 0;
      for (const alpha of alphas) {
        for (const { ex, skip } of judged) {
          const a = this.decide(unit(ex.embedding), alpha, k, skip);
          total += ex.quality[a] - alpha * ex.cost[a];
        }
      }
      if (total > best + 1e-12) {
        best = total;
        this.kValue = k;
      }
    }
  }

  choose(example: RoutingExample, alpha: number): number {
    checkAlpha(alpha, "KnnRouter.choose");
    if (this.widths == null) throw new Error("KnnRouter.choose: call fit first");
    checkQuery(example, this.widths, "KnnRouter.choose");
    return this.decide(unit(example.embedding), alpha, this.kValue, "");
  }

  /** The k training items most similar to `u` (a unit vector), most similar first; `skip` leaves one item out. */
  neighbours(u: Float64Array, k: number, skip: string): Neighbour[] {
    const scored = this.train.filter((n) => n.id !== skip).map((n) => ({ n, s: dot(u, n.unit) }));
    scored.sort((a, b) => b.s - a.s);
    return scored.slice(0, k).map((x) => x.n);
  }

  private decide(u: Float64Array, alpha: number, k: number, skip: string): number {
    const near = this.neighbours(u, k, skip);
    let best = 0;
    let bestReward = -Infinity;
    let bestCost = Infinity;
    for (let a = 0; a < this.count; a++) {
      let q = 0;
      let c = 0;
      for (const n of near) {
        q += n.quality[a];
        c += n.cost[a];
      }
      const r = (q - alpha * c) / near.length;
      c /= near.length;
      if (r > bestReward + 1e-12 || (Math.abs(r - bestReward) <= 1e-12 && c < bestCost)) {
        best = a;
        bestReward = r;
        bestCost = c;
      }
    }
    return best;
  }
}

function unit(v: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(v as ArrayLike<number>);
  let norm = 0;
  for (let i = 0; i < out.length; i++) norm += out[i] * out[i];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
