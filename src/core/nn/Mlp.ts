import { activate, activationBackward, type ActivationKind } from "./activation.ts";
import { Linear, type LinearOptions } from "./Linear.ts";
import type { Module, Parameter } from "./Parameter.ts";
import type { Rng } from "./Rng.ts";

export interface MlpOptions {
  /** Non-linearity between layers. Defaults to `"tanh"`. */
  activation?: ActivationKind;
  /** Whether the last layer is followed by the activation too (a feature extractor) or left linear (a readout). Defaults to `true`. */
  activateLast?: boolean;
  /** Initialisation of every layer. Defaults to each layer's own defaults. */
  init?: LinearOptions;
}

/** What a forward pass keeps for its backward pass: each layer's input and pre-activation. */
export interface MlpTrace {
  inputs: Float64Array[];
  preActivations: Float64Array[];
  output: Float64Array;
}

/** A stack of Linear layers with a pointwise activation, widths[0] -> widths[1] -> ... -> widths[n]. */
export class Mlp implements Module {
  readonly layers: Linear[];
  readonly activation: ActivationKind;
  readonly activateLast: boolean;

  constructor(
    readonly widths: readonly number[],
    rng: Rng,
    options: MlpOptions = {},
  ) {
    if (widths.length < 2) throw new Error(`Mlp: needs at least an input and an output width, got [${widths.join(", ")}]`);
    this.activation = options.activation ?? "tanh";
    this.activateLast = options.activateLast ?? true;
    this.layers = [];
    for (let i = 0; i + 1 < widths.length; i++) this.layers.push(new Linear(widths[i], widths[i + 1], rng, options.init));
  }

  get inWidth(): number {
    return this.widths[0];
  }

  get outWidth(): number {
    return this.widths[this.widths.length - 1];
  }

  forward(x: Float64Array): MlpTrace {
    const inputs: Float64Array[] = [];
    const preActivations: Float64Array[] = [];
    let h = x;
    this.layers.forEach((layer, i) => {
      inputs.push(h);
      const pre = layer.forward(h);
      preActivations.push(pre);
      h = this.isActivated(i) ? activate(this.activation, pre) : pre;
    });
    return { inputs, preActivations, output: h };
  }

  /** Accumulates gradients for all layers and returns dL/dx (null when `needInputGrad` is false). */
  backward(trace: MlpTrace, dOutput: Float64Array, needInputGrad = true): Float64Array | null {
    if (dOutput.length !== this.outWidth) throw new Error(`Mlp.backward: expected gradient width ${this.outWidth}, got ${dOutput.length}`);
    let g: Float64Array | null = dOutput;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const dPre: Float64Array = this.isActivated(i) ? activationBackward(this.activation, trace.preActivations[i], g!) : g!;
      g = this.layers[i].backward(trace.inputs[i], dPre, i > 0 || needInputGrad);
    }
    return g;
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    for (let i = 0; i < this.layers.length; i++) {
      for (const [name, p] of this.layers[i].namedParameters()) yield [`${i}.${name}`, p];
    }
  }

  private isActivated(i: number): boolean {
    return i < this.layers.length - 1 || this.activateLast;
  }
}
