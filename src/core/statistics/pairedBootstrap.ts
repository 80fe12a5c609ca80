// Paired bootstrap confidence intervals over items (Efron and Tibshirani, ch. 13; the routing literature's usual
// uncertainty for "method A beats method B on these items"). The statistic is the mean over strata (seeds) of the mean
// per-item difference within each stratum - exactly the difference of the two methods' seed-averaged scores the
// report prints - and each resample draws, within every stratum, as many items as it has, with replacement. Strata keep
// the seeds' own test sets apart (each seed has its own split), so an interval never mixes one seed's items into
// another's. The interval is the percentile interval of the resampled statistics.
import { Rng } from "../nn/Rng.ts";

export interface Interval {
  /** The observed statistic (the mean difference). */
  estimate: number;
  low: number;
  high: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  resamples: number;
}

export interface BootstrapOptions {
  /** Defaults to 0.95. */
  level?: number;
  /** Defaults to 2000. */
  resamples?: number;
  /** Defaults to a fixed stream, so the same data always give the same interval. */
  rng?: Rng;
}

/** Mean over strata of each stratum's mean. */
function stratifiedMean(strata: readonly (readonly number[])[]): number {
  return strata.reduce((s, x) => s + x.reduce((a, b) => a + b, 0) / x.length, 0) / strata.length;
}

/**
 * The percentile interval of the stratified mean of `differences` (one array of per-item differences per stratum,
 * e.g. A's score minus B's on each test item of one seed).
 */
export function pairedBootstrap(differences: readonly (readonly number[])[], options: BootstrapOptions = {}): Interval {
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 2000;
  if (!(level > 0 && level < 1)) throw new RangeError(`pairedBootstrap: level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`pairedBootstrap: resamples must be a positive integer, got ${resamples}`);
  if (differences.length === 0) throw new RangeError("pairedBootstrap: no strata");
  differences.forEach((d, s) => {
    if (d.length === 0) throw new RangeError(`pairedBootstrap: stratum ${s} has no items`);
    d.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RangeError(`pairedBootstrap: stratum ${s}, item ${i}: ${v} is not finite`);
    });
  });
  const rng = options.rng ?? new Rng(20_260_601);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (const d of differences) {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[rng.int(d.length)];
      total += s / d.length;
    }
    stats[r] = total / differences.length;
  }
  stats.sort();
  const tail = (1 - level) / 2;
  return { estimate: stratifiedMean(differences), low: percentile(stats, tail), high: percentile(stats, 1 - tail), level, resamples };
}

/** Linear interpolation between order statistics of sorted values (numpy's default). */
function percentile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

/** Whether the interval lies wholly on one side of zero. */
export function excludesZero(i: Interval): boolean {
  return i.low > 0 || i.high < 0;
}
