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

test("validation sees the mean of the last k recorded points on every parameter but the live ones, then the live weights return", async () => {
  const p = params();
  const average = new ValidationAverage(p, 3, ["head."]);
  for (const v of [1, 2, 4, 8]) {
    set(p, v);
    average.record();
  }
  // Live weights now: 8 everywhere. The mean of the last three points (2, 4, 8) is 14/3; the head keeps 8.
  const seen = await average.withAverage(async () => values(p));
  assert.deepEqual(seen["head.w"], [8, 8]);
  for (const n of ["trunk.w", "generators.wide.b"]) for (const v of seen[n]) assert.ok(Math.abs(v - 14 / 3) < 1e-6, `${n}: ${v}`);
  assert.deepEqual(values(p)["trunk.w"], [8, 8, 8], "live weights restored");
});

test("the live weights return when validation throws", async () => {
  const p = params();
  const average = new ValidationAverage(p, 2);
  set(p, 1);
  average.record();
  set(p, 3);
  average.record();
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
  set(p, 5);
  average.record();
  set(p, 6);
  assert.deepEqual(await average.withAverage(async () => values(p)["trunk.w"]), [6, 6, 6]);
  assert.equal(average.getState().snapshots.length, 0);
  assert.throws(() => new ValidationAverage(p, 0), /positive integer/);
});

test("the snapshots survive a state round trip, and a state of another shape is refused", async () => {
  const p = params();
  const a = new ValidationAverage(p, 2, ["head."]);
  set(p, 2);
  a.record();
  set(p, 4);
  a.record();
  const restored = new ValidationAverage(p, 2, ["head."]);
  restored.setState(a.getState());
  assert.deepEqual(await restored.withAverage(async () => values(p)), await a.withAverage(async () => values(p)));
  const other = new ValidationAverage([["trunk.w", new Parameter([4])]], 2);
  assert.throws(() => other.setState(a.getState()), /2 expected|1 expected|values/);
});
