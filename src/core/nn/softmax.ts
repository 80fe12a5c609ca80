/** Numerically stable softmax and log-softmax over a vector of scores (shifted by their maximum before exp). */

export function logSoftmax(scores: ArrayLike<number>): Float64Array {
  const n = scores.length;
  if (n === 0) throw new Error("logSoftmax: empty score vector");
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i])) throw new Error(`logSoftmax: score ${i} is not finite (${scores[i]})`);
    if (scores[i] > max) max = scores[i];
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(scores[i] - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scores[i] - logZ;
  return out;
}

export function softmax(scores: ArrayLike<number>): Float64Array {
  const out = logSoftmax(scores);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(out[i]);
  return out;
}

/**
 * Gradient of a loss with respect to the scores, given p = softmax(scores) and dL/dp:
 * dL/ds_j = p_j (dL/dp_j - sum_k p_k dL/dp_k).
 */
export function softmaxBackward(p: ArrayLike<number>, dp: ArrayLike<number>): Float64Array {
  let dot = 0;
  for (let k = 0; k < p.length; k++) dot += p[k] * dp[k];
  const ds = new Float64Array(p.length);
  for (let j = 0; j < p.length; j++) ds[j] = p[j] * (dp[j] - dot);
  return ds;
}

/** Gradient of log p_a with respect to the scores: onehot(a) - p. The policy-gradient workhorse. */
export function logProbGrad(p: ArrayLike<number>, a: number): Float64Array {
  if (!Number.isInteger(a) || a < 0 || a >= p.length) throw new Error(`logProbGrad: index ${a} outside 0..${p.length - 1}`);
  const g = new Float64Array(p.length);
  for (let j = 0; j < p.length; j++) g[j] = (j === a ? 1 : 0) - p[j];
  return g;
}
