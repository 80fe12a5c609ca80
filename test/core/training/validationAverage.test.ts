// Checkpoint averaging for RL's validation (ValidationAverage, `rl.averageLast`): the validated weights are the mean
// of the last k validation points' weights, the head stays live, and the live weights come back afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Parameter } from "../../../src/core/nn/Parameter.ts";
import { ValidationAverage } from "../../../src/core/training/ValidationAverage.ts";

function params(): [string, Parameter][] {
  return [
    ["head.w", new Parameter([2])],
    ["trunk.w", new Parameter([3])],
    ["generators.wide.b", new Parameter([2])],
  ];
}
const set = (p: [string, Parameter][], v: number) => p.forEach(([, x]) => x.data.fill(v));
const values = (p: [string, Parameter][]) => Object.fromEntries(p.map(([n, x]) => [n, [...x.data]]));
/** Sets every parameter to each value in turn and records a validation point after each. */
const recordPoints = (p: [string, Parameter][], average: ValidationAverage, ...vs: number[]) =>
  vs.forEach((v) => {
    set(p, v);
    average.record();
  });

test("validation sees the mean of the last k recorded points on every parameter but the live ones, then the live weights return", async () => {
  const p = params();
  const average = new ValidationAverage(p, 3, ["head."]);
  recordPoints(p, average, 1, 2, 4, 8);
  // Live weights now: 8 everywhere. The mean of the last three points (2, 4, 8) is 14/3; the head keeps 8.
  const seen = await average.withAverage(async () => values(p));
  assert.deepEqual(seen["head.w"], [8, 8]);
  for (const n of ["trunk.w", "generators.wide.b"]) for (const v of seen[n]) assert.ok(Math.abs(v - 14 / 3) < 1e-6, `${n}: ${v}`);
  assert.deepEqual(values(p)["trunk.w"], [8, 8, 8], "live weights restored");
});

test("the live weights return when validation throws", async () => {
  const p = params();
  const average = new ValidationAverage(p, 2);
  recordPoints(p, average, 1, 3);
  p[1][1].data[0] = 7;
  await assert.rejects(average.withAverage(async () => {
    assert.equal(p[1][1].data[0], 2, "averaged inside");
    throw new Error("episode failed");
  }), /episode failed/);
  assert.equal(p[1][1].data[0], 7);
});

test("count 1 validates the live weights and keeps no snapshot", async () => {
  const p = params();
  const average = new ValidationAverage(p, 1, ["head."]);
  recordPoints(p, average, 5);
  set(p, 6);
  assert.deepEqual(await average.withAverage(async () => values(p)["trunk.w"]), [6, 6, 6]);
  assert.equal(average.getState().snapshots.length, 0);
  assert.throws(() => new ValidationAverage(p, 0), /positive integer/);
});

test("the snapshots survive a state round trip, and a state of another shape is refused", async () => {
  const p = params();
  const a = new ValidationAverage(p, 2, ["head."]);
  recordPoints(p, a, 2, 4);
  const restored = new ValidationAverage(p, 2, ["head."]);
  restored.setState(a.getState());
  assert.deepEqual(await restored.withAverage(async () => values(p)), await a.withAverage(async () => values(p)));
  const other = new ValidationAverage([["trunk.w", new Parameter([4])]], 2);
  assert.throws(() => other.setState(a.getState()), /2 expected|1 expected|values/);
});

test("joint RL's resumable state carries the averaged snapshots: a resumed run validates the same mean", async () => {
  const { HapsPolicy } = await import("../../../src/core/router/HapsPolicy.ts");
  const { Adam } = await import("../../../src/core/nn/Adam.ts");
  const { Sgd } = await import("../../../src/core/nn/Sgd.ts");
  const { saveState, loadState } = await import("../../../src/core/training/JointRl.ts");
  const { smallConfig } = await import("../generator/fixtures.ts");
  const { tempDir } = await import("../runtime/helpers.ts");
  const make = () => {
    const policy = new HapsPolicy(smallConfig());
    const params = [...policy.parameters()];
    const head = params.filter(([n]) => n.startsWith("head."));
    const rest = params.filter(([n]) => !n.startsWith("head."));
    return { policy, params, optimisers: { router: new Adam(head), generators: new Sgd(rest), average: new ValidationAverage(params, 3, ["head."]) } };
  };
  const a = make();
  // Three validation points with different weights, the live weights moved on after the last.
  for (const shift of [0.1, -0.2, 0.4, 0.05]) {
    for (const [, p] of a.params) for (let i = 0; i < p.data.length; i++) p.data[i] += shift * ((i % 5) - 2);
    if (shift !== 0.05) a.optimisers.average.record();
  }
  const dir = tempDir("rl-state");
  const state = { step: 3, itemsSeen: 12, epoch: 0, position: 12, order: [0], rng: { s: [1, 2, 3, 4] }, baselines: [0], settled: [0], best: 0.5, bestAtItems: 8, sinceBest: 1, rollouts: 24, history: [], rewardSum: 0, rewardCount: 0 };
  await saveState(dir, a.policy, a.optimisers, state as never);
  const b = make();
  assert.ok(await loadState(dir, b.policy, b.optimisers), "a state was found");
  const snapshot = (x: ReturnType<typeof make>) => Object.fromEntries(x.params.map(([n, p]) => [n, [...p.data]]));
  assert.deepEqual(snapshot(b), snapshot(a), "live weights restored");
  const averaged = async (x: ReturnType<typeof make>) => x.optimisers.average.withAverage(async () => snapshot(x));
  const [va, vb] = [await averaged(a), await averaged(b)];
  assert.deepEqual(vb, va, "the validated mean is the same after the resume");
  assert.notDeepEqual(va, snapshot(a), "and it differs from the live weights, so the check means something");
});
