import type { Parameter } from "../../../src/core/nn/Parameter.ts";
import type { Rng } from "../../../src/core/nn/Rng.ts";

export interface GradientCheck {
  /** Largest |numeric - analytic| / (atol + rtol * max(|numeric|, |analytic|)); <= 1 passes. */
  worst: number;
  /** Entries compared. */
  checked: number;
  /** Largest |analytic| seen (so a test can insist the gradient is not trivially zero). */
  largest: number;
  detail: string;
}

/**
 * Compares each parameter's accumulated `grad` (filled by `backward`) with central differences of `loss`.
 * Weights are float32, so the step actually taken is read back from the array rather than assumed to be `eps`.
 */
export function checkParameterGradients(
  params: Iterable<[string, Parameter]>,
  loss: () => number,
  backward: () => void,
  rng: Rng,
  options: { eps?: number; rtol?: number; atol?: number; perTensor?: number } = {},
): GradientCheck {
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 1e-3;
  const atol = options.atol ?? 1e-5;
  const perTensor = options.perTensor ?? 12;
  const list = [...params];
  for (const [, p] of list) p.zeroGrad();
  backward();
  const analytic = list.map(([, p]) => Float64Array.from(p.grad));
  let worst = 0;
  let checked = 0;
  let largest = 0;
  let detail = "";
  list.forEach(([name, p], k) => {
    const indices = p.size <= perTensor ? [...Array(p.size).keys()] : Array.from({ length: perTensor }, () => rng.int(p.size));
    for (const i of indices) {
      const original = p.data[i];
      p.data[i] = original + eps;
      const up = p.data[i];
      const lPlus = loss();
      p.data[i] = original - eps;
      const down = p.data[i];
      const lMinus = loss();
      p.data[i] = original;
      const numeric = (lPlus - lMinus) / (up - down);
      const a = analytic[k][i];
      largest = Math.max(largest, Math.abs(a));
      const ratio = Math.abs(numeric - a) / (atol + rtol * Math.max(Math.abs(numeric), Math.abs(a)));
      checked++;
      if (ratio > worst) {
        worst = ratio;
        detail = `${name}[${i}]: numeric ${numeric}, analytic ${a}`;
      }
    }
  });
  return { worst, checked, largest, detail };
}

/** Central differences of `loss(x)` with respect to a float64 input vector. */
export function numericInputGradient(x: Float64Array, loss: (x: Float64Array) => number, eps = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const original = x[i];
    x[i] = original + eps;
    const up = loss(x);
    x[i] = original - eps;
    const down = loss(x);
    x[i] = original;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

/** Largest |a - b| / (atol + rtol * max(|a|, |b|)) over the entries. */
export function worstMismatch(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-8): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + rtol * Math.max(Math.abs(a[i]), Math.abs(b[i]))));
  }
  return worst;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
