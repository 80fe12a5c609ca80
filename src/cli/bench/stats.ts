// Every bench figure is a median over repeats with its spread.

/** A sample summarised: its median and the spread around it. */
export interface Summary {
  n: number;
  median: number;
  /** 10th and 90th percentiles (nearest rank). */
  p10: number;
  p90: number;
  min: number;
  max: number;
}

export function summarise(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("summarise: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  return { n: sorted.length, median: at(0.5), p10: at(0.1), p90: at(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Runs `fn` `warmup` times unmeasured, then `repeats` times, and summarises the wall times in ms. */
export async function timeRepeats(repeats: number, fn: (i: number) => unknown | Promise<unknown>, warmup = 1): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  return summarise(times);
}

/** A summary with every value divided by `by` (e.g. ms into decoded tokens). */
export function scaled(s: Summary, by: number): Summary {
  return { n: s.n, median: s.median / by, p10: s.p10 / by, p90: s.p90 / by, min: s.min / by, max: s.max / by };
}

/**
 * A distribution-free 95 % confidence interval for the median: the order statistics at ranks n/2 -+ 1.96 sqrt(n)/2
 * (the normal approximation to the binomial; needs n >= 6 or so to mean much).
 */
export function medianInterval95(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const half = (1.96 * Math.sqrt(n)) / 2;
  const lo = Math.max(0, Math.floor(n / 2 - half) - 1);
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half));
  return [sorted[lo], sorted[hi]];
}
