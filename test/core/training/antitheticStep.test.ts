// The low-level router's estimator (JointRl.antitheticAdapterStep), which HAPS's joint RL and the static-adapter
// baseline share: an antithetic pair around the generated mean, credited by the central difference of the reward.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LoraAdapter } from "../../../src/core/adapters/types.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { Sgd } from "../../../src/core/nn/Sgd.ts";
import { HapsPolicy } from "../../../src/core/router/HapsPolicy.ts";
import { antitheticAdapterStep, judgeValidation, resolveRlBudget, rlImproved, skipSettled, type PairOutcome } from "../../../src/core/training/JointRl.ts";
import { smallConfig } from "../generator/fixtures.ts";

const settings = { sigma: 0.5, explore: "b" as const, bPenalty: 0 };
/** A planted reward: right (shaped +1) when the wide model's last B factor points along d, wrong (-1) otherwise. */
const direction = (n: number) => Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? -1 : 0));
const projection = (a: LoraAdapter, d: Float64Array) => a.layers.at(-1)!.b.reduce((s, v, i) => s + v * d[i], 0);

test("one step runs theta+ and its mirror theta-, and only the generators of the given models receive gradients", async () => {
  const policy = new HapsPolicy(smallConfig());
  const f = new Rng(3).fillNormal(new Float64Array(10));
  const mean = policy.generate("wide", f)!;
  const seen: LoraAdapter[] = [];
  policy.parameters().zeroGrad();
  const [plus, minus] = await antitheticAdapterStep({
    policy,
    feature: f,
    models: ["wide"],
    settings,
    rng: new Rng(4),
    weight: 1,
    run: async (adapters): Promise<PairOutcome> => {
      assert.deepEqual([...adapters.keys()], ["wide"]);
      seen.push(adapters.get("wide")!);
      const shaped = seen.length === 1 ? 1 : -1;
      return { quality: shaped > 0 ? 1 : 0, cost: 0, shaped };
    },
  });
  assert.equal(seen.length, 2);
  assert.deepEqual([plus.shaped, minus.shaped], [1, -1]);
  // Mirrored around the mean on B, A untouched (explore "b").
  seen[0].layers.forEach((l, k) => {
    l.b.forEach((v, i) => assert.ok(Math.abs(v + seen[1].layers[k].b[i] - 2 * mean.layers[k].b[i]) < 1e-6));
    assert.deepEqual(l.a, seen[1].layers[k].a);
    assert.ok(l.b.some((v, i) => Math.abs(v - mean.layers[k].b[i]) > 1e-3), "the sample explores B");
  });
  const gradNorm = (prefix: string) => [...policy.parameters()].filter(([n]) => n.startsWith(prefix)).reduce((s, [, p]) => s + p.grad.reduce((a, g) => a + g * g, 0), 0);
  assert.ok(gradNorm("generator.wide.") > 0);
  assert.equal(gradNorm("generator.narrow."), 0);
});

test("repeated steps climb a planted reward: the mean adapter turns towards the rewarded direction", async () => {
  const policy = new HapsPolicy(smallConfig());
  const rng = new Rng(5);
  const features = Array.from({ length: 8 }, () => rng.fillNormal(new Float64Array(10)));
  const d = direction(policy.generate("wide", features[0])!.layers.at(-1)!.b.length);
  const run = async (adapters: ReadonlyMap<string, LoraAdapter>): Promise<PairOutcome> => {
    const right = projection(adapters.get("wide")!, d) > 0;
    return { quality: right ? 1 : 0, cost: 0, shaped: right ? 1 : -1 };
  };
  const rightShare = () => features.filter((f) => projection(policy.generate("wide", f)!, d) > 0).length / features.length;
  const before = features.map((f) => projection(policy.generate("wide", f)!, d));
  const sgd = new Sgd([...policy.parameters()].filter(([n]) => !n.startsWith("head.")), { lr: 5e-3 });
  for (let step = 0; step < 40; step++) {
    policy.parameters().zeroGrad();
    for (const f of features) await antitheticAdapterStep({ policy, feature: f, models: ["wide"], settings, rng, weight: 1 / features.length, run });
    sgd.step();
  }
  const after = features.map((f) => projection(policy.generate("wide", f)!, d));
  assert.equal(rightShare(), 1, `projections after: ${after.map((x) => x.toFixed(3)).join(", ")}`);
  assert.ok(Math.min(...after) > Math.max(...before), `before ${before.map((x) => x.toFixed(3)).join(", ")}; after ${after.map((x) => x.toFixed(3)).join(", ")}`);
});

test("the RL budget resolves auto settings as the epochs, cadence and patience helpers do", () => {
  assert.deepEqual(resolveRlBudget({ epochs: "auto", validateEvery: "auto", patience: "auto" }, 32), { epochs: 20, validateEvery: 11, patience: 30 });
  assert.deepEqual(resolveRlBudget({ epochs: 12, validateEvery: 102, patience: 6 }, 102), { epochs: 12, validateEvery: 102, patience: 6 });
});

test("settled items (last pair right on both episodes) are passed over with probability 1 - settledRevisit, others never", () => {
  const rng = new Rng(9);
  const untouched = new Rng(9);
  // revisit 1 (the default) and unsettled items draw nothing from the stream.
  assert.equal(skipSettled(true, 1, rng), false);
  assert.equal(skipSettled(false, 0.25, rng), false);
  assert.equal(rng.uniform(), untouched.uniform());
  const n = 4000;
  let skipped = 0;
  for (let k = 0; k < n; k++) if (skipSettled(true, 0.25, rng)) skipped++;
  assert.ok(Math.abs(skipped / n - 0.75) < 0.03, `skipped ${skipped} of ${n}`);
  assert.equal([...Array(100)].filter(() => skipSettled(true, 0, rng)).length, 100);
});

test("a validation equal to the best keeps the later weights only with tieKeepsLater, and never restarts patience", () => {
  assert.equal(judgeValidation(0.9, 0.8, false), "better");
  assert.equal(judgeValidation(0.9, 0.8, true), "better");
  assert.equal(judgeValidation(0.9, 0.9, false), "worse");
  assert.equal(judgeValidation(0.9, 0.9, true), "tie");
  assert.equal(judgeValidation(0.8, 0.9, true), "worse");
  assert.equal(judgeValidation(0.5, -Infinity, false), "better");
});

test("RL counts as an improvement only when the kept weights validated above the warm-up, whenever they were kept", () => {
  const history = (rewards: number[]) => rewards.map((validReward, k) => ({ items: k * 10, step: k, validReward, trainReward: null }));
  assert.equal(rlImproved({ history: history([0.5, 0.5, 0.5]), bestValidReward: 0.5 }), false, "a tie kept later is no improvement");
  assert.equal(rlImproved({ history: history([0.5, 0.6]), bestValidReward: 0.6 }), true);
  assert.equal(rlImproved({ history: [], bestValidReward: 0.6 }), false);
});
