/**
 * The logistic function and its relatives, written so that no argument overflows `Math.exp`: the routers that
 * score win probabilities, item responses and graph edges all feed raw logits of any size through these.
 */

/** sigma(x) = 1 / (1 + e^-x), evaluated on the side where the exponential is at most 1. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|). Its derivative is sigmoid(x). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Binary cross-entropy of a target y in [0, 1] against the probability sigma(z), taken from the logit z:
 * -(y log sigma(z) + (1 - y) log(1 - sigma(z))) = softplus(z) - y z. A soft target (an F1 score) is allowed.
 * Its gradient with respect to z is sigma(z) - y (`bceWithLogitsGrad`).
 */
export function bceWithLogits(z: number, y: number): number {
  return softplus(z) - y * z;
}

/** d bceWithLogits(z, y) / dz = sigma(z) - y. */
export function bceWithLogitsGrad(z: number, y: number): number {
  return sigmoid(z) - y;
}
