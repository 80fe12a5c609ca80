/**
 * The q-quantile of `values` with linear interpolation between order statistics: position q * (n - 1) in the sorted
 * values, as numpy's `percentile`/`quantile` and pandas' `quantile` compute it by default. RouteLLM's threshold
 * calibration and its evaluation sweep both rest on this definition, so a calibrated strong-call share matches theirs.
 */
export function quantile(values: readonly number[] | Float64Array, q: number): number {
  if (values.length === 0) throw new RangeError("quantile: no values");
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values);
  for (let i = 0; i < sorted.length; i++) {
    if (!Number.isFinite(sorted[i])) throw new RangeError(`quantile: value ${i} is not finite (${sorted[i]})`);
  }
  sorted.sort();
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const fraction = position - lower;
  return fraction === 0 ? sorted[lower] : sorted[lower] + fraction * (sorted[upper] - sorted[lower]);
}
