import { LinearKernel } from "./kernels/LinearKernel.ts";
import { Parameter, type Module } from "./Parameter.ts";
import type { Rng } from "./Rng.ts";
import { requirePositiveInt } from "./vector.ts";

export interface LinearOptions {
  /** Standard deviation of the initial weights. Defaults to `1 / sqrt(inWidth)` (LeCun normal: unit-variance outputs for unit-variance inputs). */
  weightStd?: number;
  /** Standard deviation of the initial bias. Defaults to `0`. */
  biasStd?: number;
}

/**
 * y = W x + b with W of shape (out x in), row-major as PyTorch stores it. Activations are float64 so the losses that
 * finite differences and training read are not rounded at every layer; weights are float32.
 *
 * `backward` is stateless: it takes the same input x as `forward` did, so one layer can serve several forward
 * passes (the shared trunk is run for the head and for each generator) before their gradients are accumulated.
 *
 * Large layers (the generator's heads, the trunk) keep their weights in a WebAssembly memory and run SIMD kernels
 * (kernels/LinearKernel.ts): the same arithmetic, >10x faster; the forward sum differs only in the order of its
 * additions, the backward pass is bit-identical. Small layers keep the scalar loops below.
 */
export class Linear implements Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  private readonly kernel: LinearKernel | null;

  constructor(
    readonly inWidth: number,
    readonly outWidth: number,
    rng: Rng,
    options: LinearOptions = {},
  ) {
    requirePositiveInt(inWidth, "Linear: inWidth");
    requirePositiveInt(outWidth, "Linear: outWidth");
    this.kernel = LinearKernel.create(outWidth, inWidth);
    this.weight = new Parameter([outWidth, inWidth], this.kernel?.weight, this.kernel?.weightGrad);
    this.bias = new Parameter([outWidth], this.kernel?.bias, this.kernel?.biasGrad);
    rng.fillNormal(this.weight.data, options.weightStd ?? 1 / Math.sqrt(inWidth));
    const biasStd = options.biasStd ?? 0;
    if (biasStd > 0) rng.fillNormal(this.bias.data, biasStd);
  }

  forward(x: Float64Array): Float64Array {
    if (x.length !== this.inWidth) throw new Error(`Linear.forward: expected input width ${this.inWidth}, got ${x.length}`);
    if (this.kernel) return this.kernel.forward(x);
    const w = this.weight.data;
    const b = this.bias.data;
    const n = this.inWidth;
    const y = new Float64Array(this.outWidth);
    for (let o = 0; o < this.outWidth; o++) {
      let sum = b[o];
      const row = o * n;
      for (let i = 0; i < n; i++) sum += w[row + i] * x[i];
      y[o] = sum;
    }
    return y;
  }

  /**
   * Accumulates dL/dW += dy x^T and dL/db += dy, and returns dL/dx = W^T dy (or null when `needInputGrad` is false,
   * which saves a full pass for a layer fed by a frozen input such as the router LLM's feature).
   */
  backward(x: Float64Array, dy: ArrayLike<number>, needInputGrad = true): Float64Array | null {
    if (x.length !== this.inWidth) throw new Error(`Linear.backward: expected input width ${this.inWidth}, got ${x.length}`);
    if (dy.length !== this.outWidth) throw new Error(`Linear.backward: expected gradient width ${this.outWidth}, got ${dy.length}`);
    if (this.kernel) return this.kernel.backward(x, dy, needInputGrad);
    const w = this.weight.data;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    const n = this.inWidth;
    const dx = needInputGrad ? new Float64Array(n) : null;
    for (let o = 0; o < this.outWidth; o++) {
      const g = dy[o];
      if (g === 0) continue;
      gb[o] += g;
      const row = o * n;
      for (let i = 0; i < n; i++) gw[row + i] += g * x[i];
      if (dx) for (let i = 0; i < n; i++) dx[i] += w[row + i] * g;
    }
    return dx;
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    yield ["weight", this.weight];
    yield ["bias", this.bias];
  }
}
