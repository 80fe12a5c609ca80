/** The stored form of a fitted `CostNormalizer`, kept with a checkpoint so evaluation uses the training scale. */
export interface CostNormalizerState {
  kind: "min-max";
  min: number;
  max: number;
  /** How many costs the statistics were fitted on. */
  count: number;
}

/**
 * Min-max scaling of episode costs to [0, 1], fitted on a training split. Costs outside the fitted range are
 * clamped, so one unusually expensive evaluation episode cannot outweigh the performance term of the reward. This is a
 * deliberate departure from the paper (App. F), whose frozen min-max scale may leave [0, 1]; baselines/types.ts and the
 * evaluation report state it.
 *
 * Degenerate rule: when every fitted cost is equal (min == max) there is no scale, so a cost at or below that
 * value maps to 0 and any higher cost maps to 1, which still penalises spending more than was ever seen.
 */
export class CostNormalizer {
  #state: CostNormalizerState | null = null;

  /** Fits min and max on `costs`. Throws on an empty list or a negative or non-finite cost, naming its index. */
  fit(costs: readonly number[]): this {
    if (costs.length === 0) throw new RangeError("CostNormalizer.fit: no costs to fit on");
    let min = Infinity;
    let max = -Infinity;
    costs.forEach((cost, index) => {
      if (!Number.isFinite(cost) || cost < 0) {
        throw new RangeError(`CostNormalizer.fit: cost at index ${index} must be a finite number >= 0, got ${cost}`);
      }
      min = Math.min(min, cost);
      max = Math.max(max, cost);
    });
    this.#state = { kind: "min-max", min, max, count: costs.length };
    return this;
  }

  get fitted(): boolean {
    return this.#state !== null;
  }

  /** `cost` scaled to [0, 1] by the fitted range (clamped). Throws before `fit` or on a non-finite cost. */
  normalise(cost: number): number {
    const state = this.#state;
    if (state === null) throw new Error("CostNormalizer.normalise: call fit() or fromJSON() first");
    if (!Number.isFinite(cost)) throw new RangeError(`CostNormalizer.normalise: cost must be finite, got ${cost}`);
    if (state.max === state.min) return cost <= state.min ? 0 : 1;
    const scaled = (cost - state.min) / (state.max - state.min);
    return Math.min(1, Math.max(0, scaled));
  }

  toJSON(): CostNormalizerState {
    if (this.#state === null) throw new Error("CostNormalizer.toJSON: nothing fitted to store");
    return { ...this.#state };
  }

  /** Restores a normaliser from `toJSON()` output; the error names the first bad field. */
  static fromJSON(value: unknown): CostNormalizer {
    if (typeof value !== "object" || value === null) throw new TypeError("CostNormalizer.fromJSON: expected an object");
    const record = value as Record<string, unknown>;
    if (record.kind !== "min-max") throw new TypeError(`CostNormalizer.fromJSON: field "kind" must be "min-max", got ${JSON.stringify(record.kind)}`);
    for (const field of ["min", "max", "count"] as const) {
      const number = record[field];
      if (typeof number !== "number" || !Number.isFinite(number) || number < 0) {
        throw new TypeError(`CostNormalizer.fromJSON: field "${field}" must be a finite number >= 0, got ${JSON.stringify(number)}`);
      }
    }
    const { min, max, count } = record as { min: number; max: number; count: number };
    if (min > max) throw new RangeError(`CostNormalizer.fromJSON: field "min" (${min}) exceeds field "max" (${max})`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`CostNormalizer.fromJSON: field "count" must be an integer >= 1, got ${count}`);
    const normalizer = new CostNormalizer();
    normalizer.#state = { kind: "min-max", min, max, count };
    return normalizer;
  }
}
