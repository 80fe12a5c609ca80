import type { Parameter } from "./Parameter.ts";

export interface AdamOptions {
  /** Step size. Defaults to `1e-3`. */
  lr?: number;
  /** Decay of the first-moment average. Defaults to `0.9`. */
  beta1?: number;
  /** Decay of the second-moment average. Defaults to `0.999`. */
  beta2?: number;
  /** Added to sqrt(v) so flat directions do not blow up the step. Defaults to `1e-8`. */
  eps?: number;
  /**
   * Decoupled weight decay (AdamW): w -= lr * weightDecay * w each step, applied outside the adaptive scaling so that
   * rarely-updated weights (a generator whose model is seldom chosen) decay at the same rate as busy ones. Defaults to `0`.
   */
  weightDecay?: number;
}

/** What Adam carries between steps; saved with a training run so a resumed run steps exactly as the original. */
export interface AdamState {
  step: number;
  /** First and second moments, one pair per parameter in the optimiser's order. */
  m: Float32Array[];
  v: Float32Array[];
}

/** Adam with bias correction and optional decoupled weight decay. Steps the parameters' accumulated gradients. */
export class Adam {
  /** Step size; a learning-rate schedule changes it between steps. */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Parameter[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(params: Iterable<Parameter> | Iterable<[string, Parameter]>, options: AdamOptions = {}) {
    this.params = [...params].map((p) => (Array.isArray(p) ? p[1] : p) as Parameter);
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.lr > 0)) throw new Error(`Adam: lr must be > 0, got ${this.lr}`);
    if (!(this.beta1 >= 0 && this.beta1 < 1)) throw new Error(`Adam: beta1 must be in [0, 1), got ${this.beta1}`);
    if (!(this.beta2 >= 0 && this.beta2 < 1)) throw new Error(`Adam: beta2 must be in [0, 1), got ${this.beta2}`);
    if (!(this.eps > 0)) throw new Error(`Adam: eps must be > 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new Error(`Adam: weightDecay must be >= 0, got ${this.weightDecay}`);
    this.m = this.params.map((p) => new Float32Array(p.size));
    this.v = this.params.map((p) => new Float32Array(p.size));
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** Applies one update. Refuses (changing nothing) when any gradient is NaN or infinite. */
  step(): void {
    for (let k = 0; k < this.params.length; k++) {
      const grad = this.params[k].grad;
      for (let i = 0; i < grad.length; i++) {
        if (!Number.isFinite(grad[i])) throw new Error(`Adam.step: gradient of parameter ${k} entry ${i} is not finite (${grad[i]}); no weight was changed`);
      }
    }
    this.t++;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    const decay = this.lr * this.weightDecay;
    for (let k = 0; k < this.params.length; k++) {
      const { data, grad } = this.params[k];
      const m = this.m[k];
      const v = this.v[k];
      for (let i = 0; i < data.length; i++) {
        const g = grad[i];
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * g;
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * g * g;
        data[i] -= this.lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + this.eps) + decay * data[i];
      }
    }
  }

  getState(): AdamState {
    return { step: this.t, m: this.m.map((a) => Float32Array.from(a)), v: this.v.map((a) => Float32Array.from(a)) };
  }

  /** Restores moments saved by `getState` for the same parameters (same order and sizes). */
  setState(state: AdamState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new Error(`Adam.setState: the state holds ${state.m.length} tensors, the optimiser ${this.params.length}`);
    }
    this.params.forEach((p, k) => {
      if (state.m[k].length !== p.size || state.v[k].length !== p.size) throw new Error(`Adam.setState: tensor ${k} has ${state.m[k].length} values, the parameter ${p.size}`);
      this.m[k].set(state.m[k]);
      this.v[k].set(state.v[k]);
    });
    this.t = state.step;
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }
}
