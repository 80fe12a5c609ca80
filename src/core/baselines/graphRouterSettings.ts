/**
 * GraphRouter's routing utilities (arXiv 2410.03834, data construction): each (query, LLM) edge gets
 * u = w_p * performance - w_c * cost, and the label of a query is the one-hot argmax of u over the LLMs (the first on
 * ties, as torch.argmax). The paper's three settings are Performance First (1, 0), Balance (0.5, 0.5) and Cost First
 * (0.2, 0.8). Costs here are the items' normalised costs (the original min-max normalises token costs per task).
 */

/** Weights of performance and cost in the utility. */
export interface GraphRouterSetting {
  performance: number;
  cost: number;
}

export const PERFORMANCE_FIRST: GraphRouterSetting = Object.freeze({ performance: 1, cost: 0 });
export const BALANCE: GraphRouterSetting = Object.freeze({ performance: 0.5, cost: 0.5 });
export const COST_FIRST: GraphRouterSetting = Object.freeze({ performance: 0.2, cost: 0.8 });

/**
 * The setting whose utility ranks assignments exactly as the reward quality - alpha * cost does:
 * (1, alpha) / (1 + alpha). alpha = 0 is Performance First.
 */
export function settingForAlpha(alpha: number): GraphRouterSetting {
  if (!Number.isFinite(alpha) || alpha < 0) throw new Error(`settingForAlpha: alpha must be a finite number >= 0, got ${alpha}`);
  return { performance: 1 / (1 + alpha), cost: alpha / (1 + alpha) };
}

export function utility(performance: number, cost: number, setting: GraphRouterSetting): number {
  return setting.performance * performance - setting.cost * cost;
}

/** The index of the LLM with the highest utility for one query; the first on ties. */
export function graphRouterLabel(performance: readonly number[], cost: readonly number[], setting: GraphRouterSetting): number {
  if (performance.length === 0 || performance.length !== cost.length) {
    throw new Error(`graphRouterLabel: expected one performance and one cost per LLM, got ${performance.length} and ${cost.length}`);
  }
  let best = 0;
  let bestU = utility(performance[0], cost[0], setting);
  for (let m = 1; m < performance.length; m++) {
    const u = utility(performance[m], cost[m], setting);
    if (u > bestU) {
      best = m;
      bestU = u;
    }
  }
  return best;
}
