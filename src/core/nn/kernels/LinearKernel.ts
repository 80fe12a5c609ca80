// A Linear layer's weights, gradients and scratch vectors in a WebAssembly memory of their own, with the SIMD
// kernels of linearKernels.wat (why: see that file). The memory is sized once and never grows, so the Float32Array
// views that Parameter hands out (data, grad) stay valid for the layer's life. It is a shared memory, so that a large
// layer's forward pass can be split over threads (KernelThreads.ts).
//
// Why hand-written: the numeric libraries with SIMD kernels for JavaScript (TensorFlow.js's WebAssembly backend,
// onnxruntime) own their tensors' memory, so the optimisers' in-place updates would have to be copied into them
// (tens of MiB per step) or rewritten against their API; two ~60-line loops over our own arrays avoid both.
import { splitForward } from "./KernelThreads.ts";
import { WASM_BASE64 } from "./linearKernels.wasm.ts";

/** Layers with fewer weights stay on the scalar JavaScript loops: a memory costs at least a 64 KiB page. */
export const KERNEL_MIN_WEIGHTS = 16_384;
/** Byte offsets must stay within a signed 32-bit index in the kernels. */
const MAX_BYTES = 2 ** 31 - 2 ** 16;
const PAGE = 65_536;

interface Exports {
  forward(rows: number, cols: number, w: number, b: number, x: number, y: number): void;
  backward(rows: number, cols: number, w: number, gw: number, gb: number, x: number, dy: number, dx: number, needDx: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernels, or null where this runtime lacks WebAssembly SIMD (then Linear keeps its scalar loops). */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(WASM_BASE64, "base64");
    compiled = typeof WebAssembly === "object" && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

export class LinearKernel {
  readonly memory: WebAssembly.Memory;
  readonly weight: Float32Array;
  readonly weightGrad: Float32Array;
  readonly bias: Float32Array;
  readonly biasGrad: Float32Array;
  readonly exports: Exports;
  private readonly module: WebAssembly.Module;
  private readonly x: Float64Array;
  private readonly dx: Float64Array;
  private readonly y: Float64Array;
  private readonly at: { w: number; gw: number; b: number; gb: number; x: number; dx: number; y: number };

  /** A kernel for an (out x in) layer, or null when the layer is small, too large, or SIMD is missing. */
  static create(outWidth: number, inWidth: number): LinearKernel | null {
    if (outWidth * inWidth < KERNEL_MIN_WEIGHTS) return null;
    const module = kernelModule();
    if (module == null) return null;
    const at = { w: 0, gw: 0, b: 0, gb: 0, x: 0, dx: 0, y: 0 };
    let end = 0;
    const place = (key: keyof typeof at, bytes: number) => {
      at[key] = end;
      end = align16(end + bytes);
    };
    place("w", outWidth * inWidth * 4);
    place("gw", outWidth * inWidth * 4);
    place("b", outWidth * 4);
    place("gb", outWidth * 4);
    place("x", inWidth * 8);
    place("dx", inWidth * 8);
    place("y", outWidth * 8);
    if (end > MAX_BYTES) return null;
    return new LinearKernel(module, outWidth, inWidth, at, Math.ceil(end / PAGE));
  }

  private constructor(
    module: WebAssembly.Module,
    readonly outWidth: number,
    readonly inWidth: number,
    at: LinearKernel["at"],
    pages: number,
  ) {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.memory = memory;
    this.module = module;
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
    const buffer = memory.buffer as unknown as ArrayBuffer;
    this.at = at;
    this.weight = new Float32Array(buffer, at.w, outWidth * inWidth);
    this.weightGrad = new Float32Array(buffer, at.gw, outWidth * inWidth);
    this.bias = new Float32Array(buffer, at.b, outWidth);
    this.biasGrad = new Float32Array(buffer, at.gb, outWidth);
    this.x = new Float64Array(buffer, at.x, inWidth);
    this.dx = new Float64Array(buffer, at.dx, inWidth);
    this.y = new Float64Array(buffer, at.y, outWidth);
  }

  /** y = W x + b, as a new array; a large layer's rows are split over threads (bit-identical, see KernelThreads.ts). */
  forward(x: ArrayLike<number>): Float64Array {
    this.x.set(x);
    splitForward(this.module, this, this.outWidth, this.inWidth, this.at);
    return this.y.slice();
  }

  /** Accumulates dL/dW += dy x^T and dL/db += dy into the gradients; returns W^T dy when asked, else null. */
  backward(x: ArrayLike<number>, dy: ArrayLike<number>, needInputGrad: boolean): Float64Array | null {
    this.x.set(x);
    this.y.set(dy);
    if (needInputGrad) this.dx.fill(0);
    const { w, gw, gb, x: xAt, y, dx } = this.at;
    this.exports.backward(this.outWidth, this.inWidth, w, gw, gb, xAt, y, dx, needInputGrad ? 1 : 0);
    return needInputGrad ? this.dx.slice() : null;
  }
}
