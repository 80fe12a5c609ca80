/**
 * A trainable tensor: float32 values (what a checkpoint stores and what the LoRA type carries) and a gradient of the
 * same shape that backward passes accumulate into until `zeroGrad`. Gradients are float32 too: the real generator
 * heads hold tens of millions of weights, and the loss itself is computed in float64 activations, which is where
 * precision matters.
 */
export class Parameter {
  readonly data: Float32Array;
  readonly grad: Float32Array;
  readonly shape: readonly number[];
  readonly size: number;

  /** `data` and `grad` may be supplied (e.g. views into a kernel's WebAssembly memory); both default to new arrays. */
  constructor(shape: readonly number[], data?: Float32Array, grad?: Float32Array) {
    for (const n of shape) {
      if (!Number.isInteger(n) || n <= 0) throw new Error(`Parameter: shape must hold positive integers, got [${shape.join(", ")}]`);
    }
    this.shape = [...shape];
    this.size = shape.reduce((a, b) => a * b, 1);
    if (data && data.length !== this.size) {
      throw new Error(`Parameter: data has ${data.length} values, shape [${shape.join(", ")}] needs ${this.size}`);
    }
    if (grad && grad.length !== this.size) {
      throw new Error(`Parameter: grad has ${grad.length} values, shape [${shape.join(", ")}] needs ${this.size}`);
    }
    this.data = data ?? new Float32Array(this.size);
    this.grad = grad ?? new Float32Array(this.size);
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }

  /** Copies values (not gradients) from another parameter of the same shape. */
  copyFrom(other: Parameter): void {
    if (other.size !== this.size || other.shape.some((n, i) => n !== this.shape[i]) || other.shape.length !== this.shape.length) {
      throw new Error(`Parameter.copyFrom: shape [${other.shape.join(", ")}] does not match [${this.shape.join(", ")}]`);
    }
    this.data.set(other.data);
  }
}

/** Anything that owns parameters under local names ("weight", "layers.0.bias", ...). */
export interface Module {
  namedParameters(): Iterable<[string, Parameter]>;
}
