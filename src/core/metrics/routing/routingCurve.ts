/**
 * RouteLLM's router metrics (arXiv 2406.18665; routellm/evals/evaluate.py), over a curve of operating points, each a
 * share c of calls sent to the strong (costlier) model and the quality r reached with it:
 *
 *  - PGR(r) = (r - r_weak) / (r_strong - r_weak): the share of the gap between the weak and the strong model closed;
 *  - APGR: the trapezoid area under PGR over c, divided by the span of c the curve covers. This is what evaluate.py
 *    computes as (AUC - weak AUC) / (strong AUC - weak AUC) with both reference AUCs taken over the same points; for a
 *    curve that spans c in [0, 1] it is the plain area;
 *  - CPT(x): the smallest strong-call share at which the curve reaches PGR = x (reported at 20/50/80%).
 *
 * Shares are fractions in [0, 1] here, where RouteLLM prints percentages. One deliberate difference: evaluate.py reads
 * CPT with np.interp(target, quality, share), which assumes quality rises with the share and clamps a target the
 * curve never reaches to the last share. We walk the curve in order of share and return the first crossing, linearly
 * interpolated within its segment, and null when the curve never reaches the target; on a rising curve the two agree.
 */

export interface CurvePoint {
  /** Share of calls sent to the strong model, in [0, 1]. */
  strongShare: number;
  /** Quality reached (mean task metric) at that share. */
  quality: number;
}

function checkReferences(weakQuality: number, strongQuality: number, where: string): void {
  if (!Number.isFinite(weakQuality) || !Number.isFinite(strongQuality)) {
    throw new RangeError(`${where}: weak and strong qualities must be finite, got ${weakQuality} and ${strongQuality}`);
  }
  if (weakQuality === strongQuality) {
    throw new RangeError(`${where}: the weak and strong models have the same quality (${weakQuality}), so there is no gap to recover`);
  }
}

/** Performance gap recovered by quality `quality`. Negative below the weak model, above 1 beyond the strong one. */
export function pgr(quality: number, weakQuality: number, strongQuality: number): number {
  checkReferences(weakQuality, strongQuality, "pgr");
  if (!Number.isFinite(quality)) throw new RangeError(`pgr: quality must be finite, got ${quality}`);
  return (quality - weakQuality) / (strongQuality - weakQuality);
}

/** The points ordered by share (stable: points with equal shares keep their given order), after checking them. */
export function sortCurve(curve: readonly CurvePoint[], where = "sortCurve"): CurvePoint[] {
  if (curve.length === 0) throw new RangeError(`${where}: the curve has no points`);
  curve.forEach((p, i) => {
    if (!Number.isFinite(p.strongShare) || p.strongShare < 0 || p.strongShare > 1) {
      throw new RangeError(`${where}: point ${i} has strongShare ${p.strongShare}, expected a number in [0, 1]`);
    }
    if (!Number.isFinite(p.quality)) throw new RangeError(`${where}: point ${i} has quality ${p.quality}, expected a finite number`);
  });
  return curve.map((p, i) => ({ p, i })).sort((a, b) => a.p.strongShare - b.p.strongShare || a.i - b.i).map(({ p }) => p);
}

/** Trapezoid rule, as numpy's trapz: sum over consecutive points of (x1 - x0) (y0 + y1) / 2. */
export function trapezoid(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length) throw new RangeError(`trapezoid: ${xs.length} x values but ${ys.length} y values`);
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1])) / 2;
  return area;
}

/** Average performance gap recovered over the span of shares the curve covers. */
export function apgr(curve: readonly CurvePoint[], weakQuality: number, strongQuality: number): number {
  checkReferences(weakQuality, strongQuality, "apgr");
  const sorted = sortCurve(curve, "apgr");
  const span = sorted[sorted.length - 1].strongShare - sorted[0].strongShare;
  if (span <= 0) throw new RangeError(`apgr: every point has strong share ${sorted[0].strongShare}; an area needs at least two different shares`);
  const xs = sorted.map((p) => p.strongShare);
  const ys = sorted.map((p) => pgr(p.quality, weakQuality, strongQuality));
  return trapezoid(xs, ys) / span;
}

/**
 * Call-performance threshold: the smallest strong-call share at which the curve reaches PGR >= `targetPgr`
 * (e.g. 0.5 for CPT(50%)), interpolated linearly inside the segment that crosses it; null if it never does.
 */
export function cpt(curve: readonly CurvePoint[], weakQuality: number, strongQuality: number, targetPgr: number): number | null {
  checkReferences(weakQuality, strongQuality, "cpt");
  if (!Number.isFinite(targetPgr)) throw new RangeError(`cpt: targetPgr must be finite, got ${targetPgr}`);
  const sorted = sortCurve(curve, "cpt");
  const g = sorted.map((p) => pgr(p.quality, weakQuality, strongQuality));
  if (g[0] >= targetPgr) return sorted[0].strongShare;
  for (let i = 1; i < sorted.length; i++) {
    if (g[i] >= targetPgr) {
      const x0 = sorted[i - 1].strongShare;
      const x1 = sorted[i].strongShare;
      return x0 + ((targetPgr - g[i - 1]) / (g[i] - g[i - 1])) * (x1 - x0);
    }
  }
  return null;
}
