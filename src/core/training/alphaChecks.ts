// Whether alpha acts on a trained router (issue 15): the head decides argmax_a Q(a) - alpha C(a), and after training
// Q and C must still be calibrated predictors of quality and normalised cost. Checked on items with observed outcomes
// (the validation items' action rows), over a grid of alphas:
//  - the mean predicted normalised cost of the chosen assignments never rises as alpha rises, and the mean observed
//    one rises by at most `costSlack` (an item's observed cost is one episode's: a Teacher that sends the Student back
//    makes it dearer than the assignment's usual cost, which no predictor of the assignment can know; on the development
//    benchmark such an item moved one seed's mean by 0.013 between two alphas);
//  - per item and alpha, no assignment that is predicted cheaper than the chosen one has a predicted quality gap
//    smaller than alpha times the predicted cost gap (then the cheaper one must be chosen): what fails when the decision
//    carries anything besides Q - alpha C;
//  - at every alpha > 0 the routing reward (from the rows, no adapters) is not below the cheapest fixed assignment's by
//    more than `tolerance`.
import type { HapsPolicy } from "../router/HapsPolicy.ts";
import type { SupervisedItem } from "./Sft.ts";

export const DEFAULT_ALPHA_GRID = [0, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2];

export interface AlphaCheckOptions {
  alphas?: readonly number[];
  /** Largest allowed shortfall of HAPS's reward below the cheapest fixed assignment's at alpha > 0. Defaults to 0.05. */
  tolerance?: number;
  /** Largest allowed rise of the mean observed chosen cost from one alpha to the next (see the file comment). Defaults to 0.02. */
  costSlack?: number;
}

export interface AlphaCheckResult {
  alphas: number[];
  /** Mean observed normalised cost of the chosen assignments, per alpha. */
  meanCost: number[];
  /** Mean predicted normalised cost of the chosen assignments, per alpha. */
  predictedMeanCost: number[];
  /** Mean observed reward quality - alpha * cost of the chosen assignments (no adapters), per alpha. */
  reward: number[];
  /** The fixed assignment with the lowest mean observed cost, and its reward per alpha. */
  cheapestFixed: { choices: number[]; reward: number[] };
  /** The predicted mean cost never rises and the observed one by at most the slack. */
  costNeverRises: boolean;
  costSlack: number;
  /** (item, alpha) pairs where a cheaper assignment beat the chosen one on predicted quality - alpha * cost. */
  cheaperNotChosen: { item: string; alpha: number; chosen: number[]; cheaper: number[] }[];
  /** Alphas > 0 where HAPS's reward fell below the cheapest fixed assignment's by more than the tolerance. */
  belowCheapest: { alpha: number; haps: number; cheapest: number }[];
  tolerance: number;
  passed: boolean;
}

export function checkAlphaActs(policy: HapsPolicy, items: readonly SupervisedItem[], options: AlphaCheckOptions = {}): AlphaCheckResult {
  const alphas = [...(options.alphas ?? DEFAULT_ALPHA_GRID)].sort((a, b) => a - b);
  const tolerance = options.tolerance ?? 0.05;
  const costSlack = options.costSlack ?? 0.02;
  if (items.length === 0) throw new Error("checkAlphaActs: needs at least one item with observed outcomes");
  const head = policy.head;
  const assignments = head.enumerate();
  const outcomeOf = (item: SupervisedItem, choices: readonly number[]) => {
    const o = item.outcomes.find((x) => x.choices.every((m, n) => m === choices[n]));
    if (o == null) throw new Error(`checkAlphaActs: item "${item.id}" has no observed outcome for assignment [${choices.join(", ")}]`);
    return o;
  };
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const meanCosts = assignments.map((a) => mean(items.map((i) => outcomeOf(i, a).cost)));
  const cheapest = assignments[meanCosts.indexOf(Math.min(...meanCosts))];

  const result: AlphaCheckResult = {
    alphas,
    meanCost: [],
    predictedMeanCost: [],
    reward: [],
    cheapestFixed: { choices: cheapest, reward: alphas.map((alpha) => mean(items.map((i) => outcomeOf(i, cheapest).quality - alpha * outcomeOf(i, cheapest).cost))) },
    costNeverRises: true,
    costSlack,
    cheaperNotChosen: [],
    belowCheapest: [],
    tolerance,
    passed: false,
  };
  for (const [k, alpha] of alphas.entries()) {
    const costs: number[] = [];
    const predicted: number[] = [];
    const rewards: number[] = [];
    for (const item of items) {
      const d = head.distribution(item.feature, alpha);
      const chosen = head.argmax(item.feature, alpha).choices;
      const j = d.assignments.findIndex((a) => a.every((m, n) => m === chosen[n]));
      const o = outcomeOf(item, chosen);
      costs.push(o.cost);
      predicted.push(d.c[j]);
      rewards.push(o.quality - alpha * o.cost);
      for (let b = 0; b < d.assignments.length; b++) {
        const costGap = d.c[j] - d.c[b];
        if (b === j || !(costGap > 0)) continue;
        if (d.q[j] - d.q[b] < alpha * costGap - 1e-9) result.cheaperNotChosen.push({ item: item.id, alpha, chosen, cheaper: d.assignments[b] });
      }
    }
    result.meanCost.push(mean(costs));
    result.predictedMeanCost.push(mean(predicted));
    result.reward.push(mean(rewards));
    if (k > 0 && (result.meanCost[k] > result.meanCost[k - 1] + costSlack || result.predictedMeanCost[k] > result.predictedMeanCost[k - 1] + 1e-9)) result.costNeverRises = false;
    if (alpha > 0 && result.reward[k] < result.cheapestFixed.reward[k] - tolerance) {
      result.belowCheapest.push({ alpha, haps: result.reward[k], cheapest: result.cheapestFixed.reward[k] });
    }
  }
  result.passed = result.costNeverRises && result.cheaperNotChosen.length === 0 && result.belowCheapest.length === 0;
  return result;
}
