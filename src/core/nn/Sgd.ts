import type { Parameter } from "./Parameter.ts";

export interface SgdOptions {
  /** Step size. Defaults to `1e-2`. */
  lr?: number;
  /** Heavy-ball momentum. Defaults to `0`. */
  momentum?: number;
}

/** What SGD carries between steps (the momentum buffers; empty without momentum). */
export interface SgdState {
  step: number;
  velocity: Float32Array[];
}

/**
 * Plain stochastic gradient descent: w -= lr * (momentum buffer of) g.
 *
 * Why it exists next to Adam: the LoRA generators learn from antithetic evolution-strategy estimates, which are
 * zero for most rollouts and pure noise in every output the reward does not depend on. Adam divides each weight's
 * step by its own gradient scale, so it moves every weight by about lr whatever the signal, and the noise drifts the
 * generated adapters until they break what the models already answered. SGD's steps stay proportional to the
 * estimate, so noise averages out while the consistent part accumulates (on the first keyword benchmark, during
 * tuning: with Adam the items no model knows stayed at 0-40% right and known items broke. With SGD the committed proof
 * run, seeds 9501-9503 in proof/report.md, has HAPS's generated adapters at 0.938, 0.938 and 0.844 right on the
 * held-out items of the context group that no model knows, and one known item wrong on each of two seeds).
 */
export class Sgd {
  lr: number;
  readonly momentum: number;
  private readonly params: Parameter[];
  private readonly velocity: Float32Array[];
  private t = 0;

  constructor(params: Iterable<Parameter> | Iterable<[string, Parameter]>, options: SgdOptions = {}) {
    this.params = [...params].map((p) => (Array.isArray(p) ? p[1] : p) as Parameter);
    this.lr = options.lr ?? 1e-2;
    this.momentum = options.momentum ?? 0;
    if (!(this.lr > 0)) throw new Error(`Sgd: lr must be > 0, got ${this.lr}`);
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`Sgd: momentum must be in [0, 1), got ${this.momentum}`);
    this.velocity = this.momentum > 0 ? this.params.map((p) => new Float32Array(p.size)) : [];
  }

  get steps(): number {
    return this.t;
  }

  /** Applies one update. Refuses (changing nothing) when any gradient is NaN or infinite. */
  step(): void {
    for (let k = 0; k < this.params.length; k++) {
      const grad = this.params[k].grad;
      for (let i = 0; i < grad.length; i++) {
        if (!Number.isFinite(grad[i])) throw new Error(`Sgd.step: gradient of parameter ${k} entry ${i} is not finite (${grad[i]}); no weight was changed`);
      }
    }
    this.t++;
    for (let k = 0; k < this.params.length; k++) {
      const { data, grad } = this.params[k];
      if (this.momentum > 0) {
        const v = this.velocity[k];
        for (let i = 0; i < data.length; i++) {
          v[i] = this.momentum * v[i] + grad[i];
          data[i] -= this.lr * v[i];
        }
      } else {
        for (let i = 0; i < data.length; i++) data[i] -= this.lr * grad[i];
      }
    }
  }

  getState(): SgdState {
    return { step: this.t, velocity: this.velocity.map((v) => Float32Array.from(v)) };
  }

  setState(state: SgdState): void {
    if (state.velocity.length !== this.velocity.length) throw new Error(`Sgd.setState: the state holds ${state.velocity.length} buffers, the optimiser ${this.velocity.length}`);
    state.velocity.forEach((v, k) => this.velocity[k].set(v));
    this.t = state.step;
  }
}
