/**
 * Cost-quality fronts of routers swept over their cost preference (alpha or a threshold), as RouterBench reports
 * them (Hu et al., arXiv 2403.12031): each operating point is (mean normalised cost, mean quality) on the test items.
 *
 *  - the front is the non-decreasing upper convex hull of the points: mixing two operating points at random (route
 *    a share of the items with each) reaches every point of the segment between them, so the hull is what the router
 *    can deliver at each budget, and spending more never has to lower quality;
 *  - the area under the front is its integral over cost in [0, 1] (normalised cost is clamped to [0, 1]), counting
 *    quality 0 below the cheapest point (no budget that small is reachable) and the best quality above the dearest.
 *    A router that reaches quality q at cost 0 scores q; its units are those of quality.
 */

export interface FrontPoint {
  cost: number;
  quality: number;
}

function check(points: readonly FrontPoint[], where: string): void {
  if (points.length === 0) throw new RangeError(`${where}: no points`);
  points.forEach((p, i) => {
    if (!Number.isFinite(p.cost) || !Number.isFinite(p.quality)) throw new RangeError(`${where}: point ${i} is not finite (cost ${p.cost}, quality ${p.quality})`);
  });
}

/** The non-decreasing upper convex hull, by increasing cost: the points that make the front. */
export function paretoFront(points: readonly FrontPoint[]): FrontPoint[] {
  check(points, "paretoFront");
  // Best quality per cost, by increasing cost.
  const sorted = [...points].sort((a, b) => a.cost - b.cost || b.quality - a.quality).filter((p, i, all) => i === 0 || p.cost !== all[i - 1].cost);
  const hull: FrontPoint[] = [];
  for (const p of sorted) {
    // Non-decreasing: a dearer point that is not better is dominated.
    if (hull.length > 0 && p.quality <= hull[hull.length - 1].quality) continue;
    // Concave: drop the last point while it lies on or below the chord from the one before it to p.
    while (hull.length >= 2) {
      const [a, b] = [hull[hull.length - 2], hull[hull.length - 1]];
      const cross = (b.cost - a.cost) * (p.quality - a.quality) - (b.quality - a.quality) * (p.cost - a.cost);
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push({ cost: p.cost, quality: p.quality });
  }
  return hull;
}

/** Area under the front over cost in [0, 1] (see the header). */
export function areaUnderFront(points: readonly FrontPoint[]): number {
  const front = paretoFront(points).map((p) => ({ cost: Math.min(1, Math.max(0, p.cost)), quality: p.quality }));
  let area = 0;
  for (let i = 1; i < front.length; i++) area += ((front[i].cost - front[i - 1].cost) * (front[i].quality + front[i - 1].quality)) / 2;
  area += (1 - front[front.length - 1].cost) * front[front.length - 1].quality;
  return area;
}
