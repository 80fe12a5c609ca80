import type { ActivationKind } from "./activation.ts";
import type { FeatureStandardizer } from "../router/FeatureStandardizer.ts";
import { Mlp } from "./Mlp.ts";
import type { Module, Parameter } from "./Parameter.ts";
import { Rng } from "./Rng.ts";
import { toVector } from "./vector.ts";

export interface TrunkOptions {
  /** Width of the feature the trunk emits. Defaults to `256`. */
  width?: number;
  /** Defaults to `"tanh"` (bounded features keep every consumer's inputs on the same scale). */
  activation?: ActivationKind;
}

/** What `Trunk.forward` keeps for the backward pass. */
export interface TrunkTrace {
  mlp: ReturnType<Mlp["forward"]>;
  /** The trunk's output z. */
  output: Float64Array;
}

/**
 * The shared lower layers of the hierarchical router: z = act(W s(f) + b).
 *
 * f is the router LLM's pooled hidden state. Once training has fitted a `standardizer` on the training items' features
 * (warm-up does, before any step; the checkpoint stores it), s(f) standardises f per dimension: a router LLM's feature
 * is mostly a component every prompt shares, and the information sits in a small variation around it
 * (router/FeatureStandardizer.ts). Without one (an untrained policy), s(f) = f / rms(f): the scale differs between
 * router models and grows with outlier dimensions (no learned gain: it is a frozen input, and a gain would just be
 * absorbed by W). The same trunk instance feeds the high-level head and every generator, so gradients from
 * routing and from parameter generation both land in W and b - the parameter sharing of the paper.
 */
export class Trunk implements Module {
  readonly mlp: Mlp;
  /** Statistics of the training items' features; null until training fits them. Not a weight: no optimiser moves it. */
  standardizer: FeatureStandardizer | null = null;

  constructor(
    readonly inWidth: number,
    rng: Rng,
    options: TrunkOptions = {},
  ) {
    this.mlp = new Mlp([inWidth, options.width ?? 256], rng, { activation: options.activation ?? "tanh", activateLast: true });
  }

  get outWidth(): number {
    return this.mlp.outWidth;
  }

  get activation(): ActivationKind {
    return this.mlp.activation;
  }

  /** `where` names the caller in the error when f has the wrong width or a non-finite entry. */
  forward(f: ArrayLike<number>, where = "Trunk.forward"): TrunkTrace {
    if (this.standardizer != null) {
      const mlp = this.mlp.forward(this.standardizer.apply(f, where));
      return { mlp, output: mlp.output };
    }
    const x = toVector(f, this.inWidth, `${where}: feature f`);
    let sq = 0;
    for (let i = 0; i < x.length; i++) sq += x[i] * x[i];
    const rms = Math.sqrt(sq / x.length);
    // An all-zero feature stays zero rather than dividing by zero.
    if (rms > 0) for (let i = 0; i < x.length; i++) x[i] /= rms;
    const mlp = this.mlp.forward(x);
    return { mlp, output: mlp.output };
  }

  /** Accumulates the trunk's gradients from dL/dz. The feature is frozen, so no gradient is returned for it. */
  backward(trace: TrunkTrace, dz: Float64Array): void {
    this.mlp.backward(trace.mlp, dz, false);
  }

  /** A trunk of the same shape with the same weights and fresh gradients (the no-sharing ablation starts from this). */
  clone(): Trunk {
    // A private generator: the copy's random initial values are overwritten, and drawing them from a caller's
    // stream would shift everything initialised after it.
    const copy = new Trunk(this.inWidth, new Rng(0), { width: this.outWidth, activation: this.activation });
    const mine = [...this.namedParameters()];
    const theirs = [...copy.namedParameters()];
    mine.forEach(([, p], i) => theirs[i][1].copyFrom(p));
    copy.standardizer = this.standardizer;
    return copy;
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    for (const [name, p] of this.mlp.namedParameters()) yield [name, p];
  }
}
