import { Parameter, type Module } from "./Parameter.ts";
import { requirePositiveInt } from "./vector.ts";

export interface BatchNormOptions {
  /** Added to the variance before the square root. Defaults to `1e-5` (PyTorch's BatchNorm1d). */
  eps?: number;
  /** Weight of the newest batch in the running statistics. Defaults to `0.1` (PyTorch's BatchNorm1d). */
  momentum?: number;
}

/** What `BatchNorm.forward` keeps for its backward pass. */
export interface BatchNormTrace {
  rows: number;
  training: boolean;
  /** The normalised input x_hat (rows x width, row-major). */
  xHat: Float64Array;
  /** 1 / sqrt(var + eps) per channel: of the batch when training, of the running variance otherwise. */
  invStd: Float64Array;
  output: Float64Array;
}

/**
 * Batch normalisation over the rows of a (rows x width) row-major matrix, as PyTorch's BatchNorm1d does it:
 * y = gamma * (x - mean) / sqrt(var + eps) + beta per channel.
 *
 * Training mode normalises with the batch's own mean and biased variance and folds them into running statistics
 * (the running variance takes the unbiased estimate, as PyTorch does); evaluation mode normalises with the running
 * statistics, so a row's output no longer depends on the other rows. Matrices are flat (one Float64Array per batch)
 * because graph layers normalise every node of a graph at once and a vector per node would be allocated thousands of
 * times per training step.
 */
export class BatchNorm implements Module {
  readonly gamma: Parameter;
  readonly beta: Parameter;
  readonly runningMean: Float64Array;
  readonly runningVar: Float64Array;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly width: number,
    options: BatchNormOptions = {},
  ) {
    requirePositiveInt(width, "BatchNorm: width");
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new Error(`BatchNorm: eps must be > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`BatchNorm: momentum must be in [0, 1], got ${this.momentum}`);
    this.gamma = new Parameter([width], new Float32Array(width).fill(1));
    this.beta = new Parameter([width]);
    this.runningMean = new Float64Array(width);
    this.runningVar = new Float64Array(width).fill(1);
  }

  /** Normalises `x` (rows x width). In training mode it also updates the running statistics. */
  forward(x: Float64Array, rows: number, training: boolean): BatchNormTrace {
    const c = this.width;
    requirePositiveInt(rows, "BatchNorm.forward: rows");
    if (x.length !== rows * c) throw new Error(`BatchNorm.forward: expected ${rows} x ${c} = ${rows * c} values, got ${x.length}`);
    if (training && rows < 2) throw new Error("BatchNorm.forward: training mode needs at least 2 rows to estimate a variance");
    const mean = new Float64Array(c);
    const invStd = new Float64Array(c);
    if (training) {
      const variance = new Float64Array(c);
      for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) mean[j] += x[r * c + j];
      for (let j = 0; j < c; j++) mean[j] /= rows;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < c; j++) {
          const d = x[r * c + j] - mean[j];
          variance[j] += d * d;
        }
      }
      for (let j = 0; j < c; j++) {
        const biased = variance[j] / rows;
        invStd[j] = 1 / Math.sqrt(biased + this.eps);
        this.runningMean[j] = (1 - this.momentum) * this.runningMean[j] + this.momentum * mean[j];
        this.runningVar[j] = (1 - this.momentum) * this.runningVar[j] + this.momentum * (variance[j] / (rows - 1));
      }
    } else {
      for (let j = 0; j < c; j++) {
        mean[j] = this.runningMean[j];
        invStd[j] = 1 / Math.sqrt(this.runningVar[j] + this.eps);
      }
    }
    const g = this.gamma.data;
    const b = this.beta.data;
    const xHat = new Float64Array(rows * c);
    const output = new Float64Array(rows * c);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < c; j++) {
        const k = r * c + j;
        xHat[k] = (x[k] - mean[j]) * invStd[j];
        output[k] = g[j] * xHat[k] + b[j];
      }
    }
    return { rows, training, xHat, invStd, output };
  }

  /** Accumulates dL/dgamma and dL/dbeta and returns dL/dx, through the batch statistics when training. */
  backward(trace: BatchNormTrace, dy: Float64Array): Float64Array {
    const c = this.width;
    const { rows, xHat, invStd } = trace;
    if (dy.length !== rows * c) throw new Error(`BatchNorm.backward: expected ${rows * c} gradient values, got ${dy.length}`);
    const g = this.gamma.data;
    const sumDy = new Float64Array(c);
    const sumDyXHat = new Float64Array(c);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < c; j++) {
        const k = r * c + j;
        sumDy[j] += dy[k];
        sumDyXHat[j] += dy[k] * xHat[k];
      }
    }
    for (let j = 0; j < c; j++) {
      this.gamma.grad[j] += sumDyXHat[j];
      this.beta.grad[j] += sumDy[j];
    }
    const dx = new Float64Array(rows * c);
    if (!trace.training) {
      for (let r = 0; r < rows; r++) for (let j = 0; j < c; j++) dx[r * c + j] = dy[r * c + j] * g[j] * invStd[j];
      return dx;
    }
    // dx = gamma * invStd / n * (n dy - sum(dy) - x_hat * sum(dy x_hat)): the mean and the variance both depend on x.
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < c; j++) {
        const k = r * c + j;
        dx[k] = ((g[j] * invStd[j]) / rows) * (rows * dy[k] - sumDy[j] - xHat[k] * sumDyXHat[j]);
      }
    }
    return dx;
  }

  /** The running statistics, copied (they are state, not parameters, but a saved model needs them). */
  runningStatistics(): { mean: Float64Array; variance: Float64Array } {
    return { mean: Float64Array.from(this.runningMean), variance: Float64Array.from(this.runningVar) };
  }

  /** Restores running statistics saved by `runningStatistics`. */
  setRunningStatistics(stats: { mean: ArrayLike<number>; variance: ArrayLike<number> }): void {
    if (stats.mean.length !== this.width || stats.variance.length !== this.width) {
      throw new Error(`BatchNorm.setRunningStatistics: expected ${this.width} values each, got ${stats.mean.length} and ${stats.variance.length}`);
    }
    this.runningMean.set(stats.mean);
    this.runningVar.set(stats.variance);
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    yield ["gamma", this.gamma];
    yield ["beta", this.beta];
  }
}
