import type { RoutingExample } from "./types.ts";

/** Mean of each assignment's quality and cost over a split (what cost-aware methods use as an assignment's price). */
export function assignmentMeans(examples: readonly RoutingExample[], count: number): { quality: Float64Array; cost: Float64Array } {
  const quality = new Float64Array(count);
  const cost = new Float64Array(count);
  for (const ex of examples) {
    for (let a = 0; a < count; a++) {
      quality[a] += ex.quality[a];
      cost[a] += ex.cost[a];
    }
  }
  if (examples.length > 0) {
    for (let a = 0; a < count; a++) {
      quality[a] /= examples.length;
      cost[a] /= examples.length;
    }
  }
  return { quality, cost };
}
