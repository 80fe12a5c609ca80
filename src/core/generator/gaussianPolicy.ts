/**
 * The Gaussian policy on generated parameters (HAPS, parameter search).
 *
 * The generator's output mu(f) is the mean of an isotropic Gaussian with a fixed exploration scale sigma:
 *   theta = mu(f) + sigma * eps,   eps ~ N(0, I),
 *   log p(theta | f) = -1/2 |theta - mu|^2 / sigma^2 - n log sigma - n/2 log(2 pi).
 * Its score with respect to the mean is d log p / d mu = (theta - mu) / sigma^2, which at the sampled point is
 * eps / sigma: REINFORCE pushes mu towards noise that earned a high reward and away from noise that did not.
 *
 * n is the number of generated scalars (tens of thousands for a real model), so log p is a large negative number
 * dominated by the constant; a trainer that mixes it with the router's log pi should use the gradients, which are
 * free of the constant, rather than compare raw log-probabilities.
 */
import type { Rng } from "../nn/Rng.ts";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export function checkSigma(sigma: number, where: string): number {
  if (typeof sigma !== "number" || !Number.isFinite(sigma) || sigma <= 0) {
    throw new Error(`${where}: sigma must be a finite number > 0, got ${String(sigma)}`);
  }
  return sigma;
}

/** log N(theta; mu, sigma^2 I) from the standardised residual's squared norm |eps|^2 over n dimensions. */
export function gaussianLogDensity(sumSquaredEpsilon: number, n: number, sigma: number): number {
  return -0.5 * sumSquaredEpsilon - n * Math.log(sigma) - n * HALF_LOG_2PI;
}

/** Draws eps ~ N(0, I) of the mean's size and returns theta = mu + sigma eps with its log-density. */
export function sampleGaussian(mean: Float64Array, sigma: number, rng: Rng): { value: Float64Array; epsilon: Float64Array; logProb: number } {
  const epsilon = rng.fillNormal(new Float64Array(mean.length));
  const value = new Float64Array(mean.length);
  let sq = 0;
  for (let i = 0; i < mean.length; i++) {
    value[i] = mean[i] + sigma * epsilon[i];
    sq += epsilon[i] * epsilon[i];
  }
  return { value, epsilon, logProb: gaussianLogDensity(sq, mean.length, sigma) };
}
