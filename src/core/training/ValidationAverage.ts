// Checkpoint averaging for RL's validation (`rl.averageLast`): what is validated, and kept when it validates best, is
// the mean of the weights at the last k validation points (a Polyak average over ~k x validateEvery items), while
// training goes on with the live weights.
//
// Why: the generators' estimates are noisy, and on the proof's context group the held-out accuracy of the live weights
// moved by 0.06-0.16 between neighbouring validation points while a 34-item validation set could not tell them apart;
// the average of the last three points was smoother, and selected by its own validation kept 0.938-0.969 on the three
// development seeds (docs/proof-dev, "After the 9201-9203 run"). Parameters under `livePrefixes` (the head) keep their
// live weights: averaging three heads moved the routing of the Teacher-dependent items (4 of 12 wrong on one seed).
import type { Parameter } from "../nn/Parameter.ts";

export interface AveragedSnapshots {
  /** Oldest first; each holds the averaged parameters' values in `names` order. */
  snapshots: Float32Array[][];
}

export class ValidationAverage {
  private readonly averaged: [string, Parameter][];
  private snapshots: Float32Array[][] = [];

  /**
   * @param params every parameter of the policy (or of the part being trained)
   * @param count how many validation points the mean covers; 1 validates the live weights, as without averaging
   * @param livePrefixes parameters whose name starts with one of these are never averaged
   */
  constructor(
    params: Iterable<[string, Parameter]>,
    readonly count: number,
    livePrefixes: readonly string[] = [],
  ) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`ValidationAverage: count must be a positive integer, got ${count}`);
    this.averaged = [...params].filter(([name]) => !livePrefixes.some((p) => name.startsWith(p)));
  }

  /** Names of the averaged parameters, in snapshot order. */
  get names(): string[] {
    return this.averaged.map(([n]) => n);
  }

  /** Records the live weights at a validation point, dropping the oldest beyond `count`. */
  record(): void {
    if (this.count === 1) return;
    this.snapshots.push(this.averaged.map(([, p]) => p.data.slice()));
    if (this.snapshots.length > this.count) this.snapshots.shift();
  }

  /**
   * Runs `fn` with the averaged parameters set to the mean of the recorded snapshots (the live weights when none or
   * `count` is 1), then restores the live weights, also when `fn` throws.
   */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    if (this.count === 1 || this.snapshots.length === 0) return fn();
    const live = this.averaged.map(([, p]) => p.data.slice());
    const k = this.snapshots.length;
    this.averaged.forEach(([, p], j) => {
      const d = p.data;
      // Summed in float64, one parameter at a time, so that the mean does not depend on the order of addition.
      const sum = new Float64Array(d.length);
      for (const s of this.snapshots) {
        const x = s[j];
        for (let i = 0; i < d.length; i++) sum[i] += x[i];
      }
      for (let i = 0; i < d.length; i++) d[i] = sum[i] / k;
    });
    try {
      return await fn();
    } finally {
      this.averaged.forEach(([, p], j) => p.data.set(live[j]));
    }
  }

  /** The recorded snapshots, for a resumable state. */
  getState(): AveragedSnapshots {
    return { snapshots: this.snapshots.map((s) => s.map((x) => x.slice())) };
  }

  setState(state: AveragedSnapshots): void {
    for (const s of state.snapshots) {
      if (s.length !== this.averaged.length) throw new Error(`ValidationAverage.setState: a snapshot has ${s.length} tensors, ${this.averaged.length} expected`);
      s.forEach((x, j) => {
        if (x.length !== this.averaged[j][1].data.length) throw new Error(`ValidationAverage.setState: "${this.averaged[j][0]}" has ${x.length} values, ${this.averaged[j][1].data.length} expected`);
      });
    }
    this.snapshots = state.snapshots.slice(-this.count).map((s) => s.map((x) => x.slice()));
  }
}
