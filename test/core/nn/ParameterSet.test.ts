import { test } from "node:test";
import assert from "node:assert/strict";
import { Parameter } from "../../../src/core/nn/Parameter.ts";
import { ParameterSet } from "../../../src/core/nn/ParameterSet.ts";
import { Linear } from "../../../src/core/nn/Linear.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";

test("ParameterSet keeps names in order, counts scalars, and refuses duplicates", () => {
  const layer = new Linear(3, 2, new Rng(0));
  const set = new ParameterSet().addModule("enc.", layer).add("extra", new Parameter([4]));
  assert.deepEqual(set.names(), ["enc.weight", "enc.bias", "extra"]);
  assert.equal(set.size, 3);
  assert.equal(set.scalarCount, 6 + 2 + 4);
  assert.equal(set.get("enc.bias"), layer.bias);
  assert.throws(() => set.add("extra", new Parameter([1])), /duplicate parameter name "extra"/);
  assert.throws(() => set.add("again", layer.weight), /already in the set/);
  assert.throws(() => set.get("nope"), /no parameter named "nope"/);
});

test("gradNorm and clipGradNorm measure and rescale the global gradient", () => {
  const a = new Parameter([2]);
  const b = new Parameter([1]);
  a.grad.set([3, 0]);
  b.grad.set([4]);
  const set = new ParameterSet().add("a", a).add("b", b);
  assert.ok(Math.abs(set.gradNorm() - 5) < 1e-6);
  assert.ok(Math.abs(set.clipGradNorm(10) - 5) < 1e-6);
  assert.ok(Math.abs(set.gradNorm() - 5) < 1e-6);
  set.clipGradNorm(1);
  assert.ok(Math.abs(set.gradNorm() - 1) < 1e-6);
  assert.ok(Math.abs(a.grad[0] / b.grad[0] - 0.75) < 1e-6);
  set.zeroGrad();
  assert.equal(set.gradNorm(), 0);
  assert.throws(() => set.clipGradNorm(0), /maxNorm must be > 0/);
});

test("Parameter refuses bad shapes and mismatched data", () => {
  assert.throws(() => new Parameter([2, 0]), /positive integers/);
  assert.throws(() => new Parameter([2, 2], new Float32Array(3)), /3 values, shape \[2, 2\] needs 4/);
  assert.throws(() => new Parameter([2]).copyFrom(new Parameter([3])), /does not match/);
});
