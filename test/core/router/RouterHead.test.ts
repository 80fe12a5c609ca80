import { test } from "node:test";
import assert from "node:assert/strict";
import { RouterHead } from "../../../src/core/router/RouterHead.ts";
import { Trunk } from "../../../src/core/nn/Trunk.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { ParameterSet } from "../../../src/core/nn/ParameterSet.ts";
import { softmax } from "../../../src/core/nn/softmax.ts";
import { checkParameterGradients } from "../nn/finiteDifferences.ts";

const D = 12;

function makeHead(agents: string[], candidates: string[], seed = 1, temperature?: number) {
  const rng = new Rng(seed);
  const trunk = new Trunk(D, rng, { width: 8 });
  const head = new RouterHead(trunk, { agents, candidates, temperature, initScale: 1 }, rng);
  const params = new ParameterSet().addModule("trunk.", trunk).addModule("head.", head);
  return { rng, trunk, head, params };
}

function feature(rng: Rng): Float64Array {
  return rng.fillNormal(new Float64Array(D));
}

test("forward gives one distribution per agent over the configured candidates, equal to softmax((q - alpha c) / T)", () => {
  for (const [agents, candidates] of [
    [["student", "teacher"], ["a", "b", "c"]],
    [["x", "y", "z"], ["m1", "m2", "m3", "m4", "m5"]],
  ]) {
    const { rng, head } = makeHead(agents, candidates, 2, 0.7);
    const f = feature(rng);
    const alpha = 0.8;
    const out = head.forward(f, alpha);
    assert.equal(out.probs.length, agents.length);
    for (let n = 0; n < agents.length; n++) {
      assert.equal(out.probs[n].length, candidates.length);
      assert.equal(out.q[n].length, candidates.length);
      assert.equal(out.c[n].length, candidates.length);
      const expected = softmax(out.q[n].map((q, m) => (q - alpha * out.c[n][m]) / 0.7));
      for (let m = 0; m < candidates.length; m++) assert.ok(Math.abs(out.probs[n][m] - expected[m]) < 1e-12);
    }
    // Different agents have different heads.
    assert.notDeepEqual(out.q[0], out.q[1]);
  }
});

test("alpha and temperature change the policy at query time without touching a weight", () => {
  const { rng, head, params } = makeHead(["student"], ["big", "small"], 3);
  const f = feature(rng);
  // Teach: "big" is better and dearer, "small" worse and cheap.
  const adam = new Adam(params, { lr: 0.02 });
  const obs = [
    { agent: "student", candidate: "big", quality: 0.9, cost: 1 },
    { agent: "student", candidate: "small", quality: 0.6, cost: 0.1 },
  ];
  for (let t = 0; t < 400; t++) {
    adam.zeroGrad();
    head.backwardRegression(f, obs);
    adam.step();
  }
  const fitted = head.forward(f, 0);
  assert.ok(Math.abs(fitted.q[0][0] - 0.9) < 0.01 && Math.abs(fitted.c[0][1] - 0.1) < 0.01, `q ${fitted.q[0]} c ${fitted.c[0]}`);
  // Break-even alpha is (0.9 - 0.6) / (1 - 0.1) = 1/3.
  assert.equal(head.argmax(f, 0).candidateIds[0], "big");
  assert.equal(head.argmax(f, 1).candidateIds[0], "small");
  const warm = head.forward(f, 0).probs[0][0];
  head.temperature = 0.05;
  const cold = head.forward(f, 0).probs[0][0];
  assert.ok(cold > warm && cold > 0.99, `T=1: ${warm}, T=0.05: ${cold}`);
  assert.throws(() => (head.temperature = 0), /temperature must be a finite number > 0/);
});

test("backwardRegression matches finite differences through head and trunk", () => {
  const { rng, head, params } = makeHead(["s", "t"], ["a", "b", "c"], 4);
  const f = feature(rng);
  const obs = [
    { agent: "s", candidate: "b", quality: 0.7, cost: 0.2 },
    { agent: 1, candidate: 2, quality: 0.1 },
    { agent: "t", candidate: "a", cost: 0.9 },
  ];
  const loss = () => {
    // The loss without accumulating: regress on a throwaway copy of the gradients.
    const saved = [...params].map(([, p]) => Float32Array.from(p.grad));
    const l = head.backwardRegression(f, obs, 1.5);
    [...params].forEach(([, p], i) => p.grad.set(saved[i]));
    return l;
  };
  const check = checkParameterGradients(params, loss, () => head.backwardRegression(f, obs, 1.5), rng);
  assert.ok(check.worst <= 1, check.detail);
  assert.ok(check.largest > 0);
});

test("backwardPolicy is the gradient of -weight * log pi(assignment), including the cost path when alpha > 0", () => {
  const { rng, head, params, trunk } = makeHead(["s", "t"], ["a", "b", "c", "d"], 5, 0.6);
  const f = feature(rng);
  const alpha = 1.7;
  const choices = [2, 0];
  const weight = 0.8;
  const check = checkParameterGradients(
    params,
    () => -weight * head.logProb(f, alpha, choices),
    () => head.backwardPolicy(f, alpha, choices, weight),
    rng,
    { perTensor: 30 },
  );
  assert.ok(check.worst <= 1, check.detail);
  // The trunk gets a share of it: the parameter sharing the generators rely on.
  assert.ok([...trunk.namedParameters()].some(([, p]) => p.grad.some((g) => g !== 0)));
  // The returned value is the assignment's log-probability.
  const lp = head.backwardPolicy(f, alpha, choices, 0);
  assert.ok(Math.abs(lp - head.logProb(f, alpha, choices)) < 1e-12);
});

test("REINFORCE with a reward for one candidate makes it the policy's choice", () => {
  const { rng, head, params } = makeHead(["s"], ["a", "b", "c"], 6);
  const f = feature(rng);
  const adam = new Adam(params, { lr: 0.02 });
  const reward = [0.1, 1, 0.3];
  let baseline = 0;
  for (let t = 0; t < 300; t++) {
    const a = head.sample(f, 0.5, rng);
    const r = reward[a.choices[0]];
    adam.zeroGrad();
    head.backwardPolicy(f, 0.5, a.choices, r - baseline);
    adam.step();
    baseline = 0.9 * baseline + 0.1 * r;
  }
  assert.ok(head.forward(f, 0.5).probs[0][1] > 0.9, `p(b) = ${head.forward(f, 0.5).probs[0][1]}`);
});

test("sample follows the policy, argmax takes its mode, and toAssignment keys them by id", () => {
  const { rng, head } = makeHead(["s", "t"], ["a", "b", "c"], 7);
  const f = feature(rng);
  const probs = head.forward(f, 0.3).probs;
  const n = 6000;
  const counts = [new Float64Array(3), new Float64Array(3)];
  for (let i = 0; i < n; i++) {
    const a = head.sample(f, 0.3, rng);
    a.choices.forEach((m, agent) => counts[agent][m]++);
    if (i === 0) assert.ok(Math.abs(a.logProb - head.logProb(f, 0.3, a.choices)) < 1e-12);
  }
  for (let agent = 0; agent < 2; agent++) {
    for (let m = 0; m < 3; m++) {
      const p = probs[agent][m];
      assert.ok(Math.abs(counts[agent][m] / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `agent ${agent} cand ${m}`);
    }
  }
  const best = head.argmax(f, 0.3);
  best.choices.forEach((m, agent) => assert.equal(probs[agent][m], Math.max(...probs[agent])));
  const record = head.toAssignment(best);
  assert.equal(record.choice.s, best.candidateIds[0]);
  assert.equal(record.choice.t, best.candidateIds[1]);
  assert.ok(Math.abs(record.probabilities.t.b - probs[1][1]) < 1e-12);
  assert.equal(record.mode, "trained");
});

test("RouterHead refuses bad configuration and bad input with messages that say where", () => {
  const rng = new Rng(0);
  const trunk = new Trunk(D, rng, { width: 4 });
  assert.throws(() => new RouterHead(trunk, { agents: [], candidates: ["a"] }, rng), /agents must be a non-empty array/);
  assert.throws(() => new RouterHead(trunk, { agents: ["s"], candidates: ["a", "a"] }, rng), /candidates has "a" twice/);
  const { head } = makeHead(["s", "t"], ["a", "b"]);
  const f = new Float64Array(D).fill(1);
  assert.throws(() => head.forward(new Float64Array(D - 1), 0), /RouterHead\.forward: feature f: expected width 12, got 11/);
  assert.throws(() => head.forward(f, -1), /alpha must be >= 0/);
  assert.throws(() => head.forward(f, NaN), /alpha must be a finite number/);
  assert.throws(() => head.backwardPolicy(f, 0, [0], 1), /one candidate index per agent \(2\), got 1/);
  assert.throws(() => head.backwardPolicy(f, 0, [0, 5], 1), /agent "t" is 5, expected an index in 0\.\.1/);
  assert.throws(() => head.backwardRegression(f, [{ agent: "teacher", candidate: "a", cost: 1 }]), /observation 0: unknown agent "teacher" \(known: s, t\)/);
  assert.throws(() => head.backwardRegression(f, [{ agent: "s", candidate: "a" }]), /observation 0 has neither quality nor cost/);
  assert.throws(() => head.backwardRegression(f, [{ agent: "s", candidate: "b", quality: Infinity }]), /observation 0 quality must be a finite number/);
});
