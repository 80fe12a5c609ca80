import { test } from "node:test";
import assert from "node:assert/strict";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { HapsPolicy } from "../../../src/core/router/HapsPolicy.ts";
import { checkAlphaActs } from "../../../src/core/training/alphaChecks.ts";
import { warmUp, type SupervisedItem } from "../../../src/core/training/Sft.ts";
import { COSTS, commonComponentExamples, WIDTH } from "../baselines/commonComponent.ts";

// The planted problem of the baseline tests (group g answered only by assignment g, whose cost is COSTS[g]) as HAPS's
// head learns it: a trained router on which alpha must act.
const config = { featureWidth: WIDTH, agents: ["teacher", "student"], candidates: [{ id: "m1", open: false }, { id: "m2", open: false }], seed: 8 };
const choicesOf = (j: number) => [Math.floor(j / 2), j % 2];
const items = (seed: number, n: number, prefix: string): SupervisedItem[] =>
  commonComponentExamples(seed, n, prefix).examples.map((ex) => ({ id: ex.id, feature: ex.embedding, outcomes: COSTS.map((c, j) => ({ choices: choicesOf(j), quality: ex.quality[j], cost: c })) }));
const train = items(41, 48, "tr");
const valid = items(42, 32, "va");

function trained(): HapsPolicy {
  const policy = new HapsPolicy(config);
  warmUp(policy, { train, valid }, { target: "tuples", reweight: false, epochs: 100, batchSize: 8, lr: 3e-3 }, 0, new Rng(2));
  return policy;
}

test("on a trained head alpha acts: chosen cost never rises, cheaper wins where the quality gap is below alpha x the cost gap, never below the cheapest fixed assignment", () => {
  const r = checkAlphaActs(trained(), valid);
  assert.ok(r.costNeverRises, `mean cost by alpha ${r.meanCost.map((c) => c.toFixed(3)).join(", ")}`);
  assert.deepEqual(r.cheaperNotChosen, []);
  assert.deepEqual(r.belowCheapest, []);
  assert.ok(r.passed);
  // It acts, not just holds: from alpha 0 to 2 the chosen cost falls (the dearest groups go to the cheapest assignment).
  assert.ok(r.meanCost.at(-1)! < r.meanCost[0] - 0.2, `mean cost ${r.meanCost[0]} at alpha 0, ${r.meanCost.at(-1)} at alpha 2`);
  assert.deepEqual(r.cheapestFixed.choices, [0, 0]);
});

test("a head whose Q was pushed as a free logit towards the costliest assignment fails the check", () => {
  const policy = trained();
  // What the paper's REINFORCE term did on foreign data (issue 15): reward-weighted log-likelihood of the costliest
  // assignment on every item, until the head picks it whatever alpha says.
  const adam = new Adam([...policy.parameters()].filter(([n]) => n.startsWith("head.") || n.startsWith("trunk.")), { lr: 3e-3 });
  for (let step = 0; step < 300; step++) {
    policy.parameters().zeroGrad();
    for (const item of train) policy.head.backwardPolicy(item.feature, 0, [1, 1], 1 / train.length);
    adam.step();
  }
  const r = checkAlphaActs(policy, valid);
  assert.equal(r.passed, false);
  assert.ok(r.belowCheapest.length > 0, JSON.stringify(r.reward));
});
