import { test } from "node:test";
import assert from "node:assert/strict";
import { FACTORIZATIONS, RouterHead, type Factorization, type Observation } from "../../../src/core/router/RouterHead.ts";
import { Trunk } from "../../../src/core/nn/Trunk.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { Adam } from "../../../src/core/nn/Adam.ts";
import { ParameterSet } from "../../../src/core/nn/ParameterSet.ts";
import { softmax } from "../../../src/core/nn/softmax.ts";
import { checkParameterGradients } from "../nn/finiteDifferences.ts";

const D = 12;

function makeHead(agents: string[], candidates: string[], factorization: Factorization = "joint", seed = 1, temperature?: number) {
  const rng = new Rng(seed);
  const trunk = new Trunk(D, rng, { width: 8 });
  const head = new RouterHead(trunk, { agents, candidates, factorization, temperature, initScale: 1 }, rng);
  const params = new ParameterSet().addModule("trunk.", trunk).addModule("head.", head);
  return { rng, trunk, head, params };
}

function feature(rng: Rng): Float64Array {
  return rng.fillNormal(new Float64Array(D));
}

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol;

for (const factorization of FACTORIZATIONS) {
  test(`${factorization}: the distribution sums to 1, matches its definition and its marginals and logProb agree`, () => {
    const { rng, head } = makeHead(["teacher", "student"], ["a", "b", "c"], factorization, 2, 0.7);
    const f = feature(rng);
    const alpha = 0.8;
    const dist = head.distribution(f, alpha);
    assert.equal(dist.assignments.length, 9);
    assert.ok(close(dist.probs.reduce((s, p) => s + p, 0), 1, 1e-12));
    dist.assignments.forEach((a, j) => {
      assert.deepEqual(head.assignmentAt(head.assignmentIndex(a)), a);
      assert.ok(close(Math.log(dist.probs[j]), head.logProb(f, alpha, a), 1e-10));
      const p = head.predict(f, a);
      assert.ok(close(p.quality, dist.q[j]) && close(p.cost, dist.c[j]));
    });
    if (factorization !== "autoregressive") {
      // A softmax over the assignments' predicted rewards.
      const expected = softmax(Array.from(dist.q, (q, j) => (q - alpha * dist.c[j]) / 0.7));
      dist.probs.forEach((p, j) => assert.ok(close(p, expected[j], 1e-12)));
    }
    for (let n = 0; n < 2; n++) {
      const m = dist.assignments.reduce((s, a, j) => (s[a[n]] += dist.probs[j], s), [0, 0, 0]);
      m.forEach((v, k) => assert.ok(close(v, dist.marginals[n][k], 1e-12)));
    }
  });

  test(`${factorization}: backwardRegression matches finite differences through head and trunk`, () => {
    const { rng, head, params } = makeHead(["t", "s"], ["a", "b", "c"], factorization, 4);
    const f = feature(rng);
    const obs: Observation[] = [
      { choices: [1, 0], quality: 0.7, cost: 0.2 },
      { choices: { t: "b", s: "c" }, quality: 0.1, cost: 0.4 },
      { choices: [0, 2], cost: 0.9 },
      { choices: [2, 2], quality: -1 },
    ];
    const options = { weight: 1.5, alpha: 0.3 };
    const loss = () => {
      const saved = [...params].map(([, p]) => Float32Array.from(p.grad));
      const l = head.backwardRegression(f, obs, options);
      [...params].forEach(([, p], i) => p.grad.set(saved[i]));
      return l;
    };
    const check = checkParameterGradients(params, loss, () => head.backwardRegression(f, obs, options), rng);
    assert.ok(check.worst <= 1, check.detail);
    assert.ok(check.largest > 0);
  });

  test(`${factorization}: backwardPolicy is the gradient of -weight * log pi(assignment), including the cost path`, () => {
    const { rng, head, params, trunk } = makeHead(["s", "t"], ["a", "b", "c", "d"], factorization, 5, 0.6);
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
    const lp = head.backwardPolicy(f, alpha, choices, 0);
    assert.ok(close(lp, head.logProb(f, alpha, choices), 1e-12));
  });

  test(`${factorization}: sample follows the policy, argmax takes its mode, toAssignment keys them by id`, () => {
    const { rng, head } = makeHead(["s", "t"], ["a", "b", "c"], factorization, 7);
    const f = feature(rng);
    const dist = head.distribution(f, 0.3);
    const n = 6000;
    const counts = new Float64Array(9);
    for (let i = 0; i < n; i++) {
      const a = head.sample(f, 0.3, rng);
      counts[head.assignmentIndex(a.choices)]++;
      if (i === 0) assert.ok(close(a.logProb, head.logProb(f, 0.3, a.choices), 1e-10));
    }
    dist.probs.forEach((p, j) => assert.ok(Math.abs(counts[j] / n - p) < 5 * Math.sqrt((p * (1 - p)) / n) + 1e-9, `assignment ${j}`));
    const best = head.argmax(f, 0.3);
    if (factorization !== "autoregressive") assert.equal(dist.probs[head.assignmentIndex(best.choices)], Math.max(...dist.probs));
    const record = head.toAssignment(best);
    assert.equal(record.choice.s, best.candidateIds[0]);
    assert.equal(record.choice.t, best.candidateIds[1]);
    assert.ok(close(record.probabilities.t.b, dist.marginals[1][1], 1e-10));
    assert.equal(record.mode, "trained");
  });

  test(`${factorization}: REINFORCE with a reward for one assignment makes it the policy's choice`, () => {
    const { rng, head, params } = makeHead(["t", "s"], ["a", "b"], factorization, 6);
    const f = feature(rng);
    const adam = new Adam(params, { lr: 0.03 });
    const reward = (a: number[]) => (a[0] === 1 && a[1] === 0 ? 1 : 0.1);
    // The baseline starts at the first reward seen: one that starts below every reward reinforces whatever comes
    // first, and Adam's normalised steps let that collapse the policy before the good assignment is ever tried.
    let baseline = NaN;
    for (let t = 0; t < 400; t++) {
      const a = head.sample(f, 0.5, rng);
      const r = reward(a.choices);
      if (Number.isNaN(baseline)) baseline = r;
      adam.zeroGrad();
      head.backwardPolicy(f, 0.5, a.choices, r - baseline);
      adam.step();
      baseline = 0.9 * baseline + 0.1 * r;
    }
    const p = Math.exp(head.logProb(f, 0.5, [1, 0]));
    assert.ok(p > 0.9, `p([b, a]) = ${p}`);
    assert.deepEqual(head.argmax(f, 0.5).choices, [1, 0]);
  });
}

test("alpha and temperature change the policy at query time without touching a weight", () => {
  for (const factorization of FACTORIZATIONS) {
    const { rng, head, params } = makeHead(["student"], ["big", "small"], factorization, 3);
    const f = feature(rng);
    // "big" is better and dearer, "small" worse and cheap.
    const adam = new Adam(params, { lr: 0.02 });
    const obs = [
      { choices: [0], quality: 0.9, cost: 1 },
      { choices: [1], quality: 0.6, cost: 0.1 },
    ];
    for (let t = 0; t < 400; t++) {
      adam.zeroGrad();
      head.backwardRegression(f, obs);
      adam.step();
    }
    const fitted = head.distribution(f, 0);
    assert.ok(close(fitted.q[0], 0.9, 0.01) && close(fitted.c[1], 0.1, 0.01), `${factorization}: q ${fitted.q} c ${fitted.c}`);
    // Break-even alpha is (0.9 - 0.6) / (1 - 0.1) = 1/3.
    assert.equal(head.argmax(f, 0).candidateIds[0], "big");
    assert.equal(head.argmax(f, 1).candidateIds[0], "small");
    const warm = head.distribution(f, 0).probs[0];
    head.temperature = 0.05;
    const cold = head.distribution(f, 0).probs[0];
    assert.ok(cold > warm && cold > 0.99, `T=1: ${warm}, T=0.05: ${cold}`);
    assert.throws(() => (head.temperature = 0), /temperature must be a finite number > 0/);
  }
});

test("an interaction between agents (a strong Teacher rescues a weak Student) is fitted by joint and autoregressive heads, not by independent", () => {
  // Two kinds of query. On kind 0 only Student "b" is right, unless Teacher "b" rescues Student "a":
  // quality(t, s) = 1 for (a, b), (b, a), (b, b); 0 for (a, a). On kind 1 it is an exclusive or: (a, b) and (b, a).
  // A sum q_t + q_s cannot fit the second (it would need q_t(a) + q_s(b) = q_t(b) + q_s(a) = 1 and the other two 0).
  const table = [
    [0, 1, 1, 1],
    [0, 1, 1, 0],
  ];
  const kinds = [new Rng(11), new Rng(12)].map((r) => r.fillNormal(new Float64Array(D)));
  const errors: Record<string, number> = {};
  for (const factorization of FACTORIZATIONS) {
    const { head, params } = makeHead(["teacher", "student"], ["a", "b"], factorization, 8);
    const adam = new Adam(params, { lr: 0.02 });
    for (let t = 0; t < 1500; t++) {
      adam.zeroGrad();
      kinds.forEach((f, k) => head.backwardRegression(f, table[k].map((quality, j) => ({ choices: head.assignmentAt(j), quality, cost: 0 }))));
      adam.step();
    }
    let sq = 0;
    kinds.forEach((f, k) => table[k].forEach((q, j) => (sq += (head.predict(f, head.assignmentAt(j)).quality - q) ** 2)));
    errors[factorization] = Math.sqrt(sq / 8);
    // Whatever it fits, greedy routing must land on a rewarded assignment for the joint and autoregressive heads.
    if (factorization !== "independent") kinds.forEach((f, k) => assert.equal(table[k][head.assignmentIndex(head.argmax(f, 0).choices)], 1, `${factorization} kind ${k}`));
  }
  assert.ok(errors.joint < 0.05, `joint rmse ${errors.joint}`);
  assert.ok(errors.autoregressive < 0.05, `autoregressive rmse ${errors.autoregressive}`);
  // The exclusive or leaves the additive head an error of at least 0.25 on kind 1's four cells (rmse >= 0.17 overall).
  assert.ok(errors.independent > 0.15, `independent rmse ${errors.independent}`);
});

test("autoregressive earlier levels regress to the best observed completion of their prefix", () => {
  const { rng, head, params } = makeHead(["teacher", "student"], ["a", "b"], "autoregressive", 9);
  const f = feature(rng);
  const adam = new Adam(params, { lr: 0.02 });
  // Teacher a: completions reward 0.2 / 0.9 (best 0.9); Teacher b: 0.5 / 0.4 (best 0.5). Greedy must pick (a, b).
  const obs = [
    { choices: [0, 0], quality: 0.2, cost: 0 },
    { choices: [0, 1], quality: 0.9, cost: 0 },
    { choices: [1, 0], quality: 0.5, cost: 0 },
    { choices: [1, 1], quality: 0.4, cost: 0 },
  ];
  for (let t = 0; t < 800; t++) {
    adam.zeroGrad();
    head.backwardRegression(f, obs);
    adam.step();
  }
  assert.deepEqual(head.argmax(f, 0).choices, [0, 1]);
  // The first level's prediction for Teacher a is its best completion's quality.
  const first = head.levels[0].forward(head.trunk.forward(f).output).output;
  assert.ok(close(first[0], 0.9, 0.02) && close(first[1], 0.5, 0.02), `level 0 q: ${first[0]}, ${first[1]}`);
});

test("RouterHead refuses bad configuration and bad input with messages that say where", () => {
  const rng = new Rng(0);
  const trunk = new Trunk(D, rng, { width: 4 });
  assert.throws(() => new RouterHead(trunk, { agents: [], candidates: ["a"] }, rng), /agents must be a non-empty array/);
  assert.throws(() => new RouterHead(trunk, { agents: ["s"], candidates: ["a", "a"] }, rng), /candidates has "a" twice/);
  assert.throws(() => new RouterHead(trunk, { agents: ["s"], candidates: ["a"], factorization: "mixed" as never }, rng), /factorization must be one of/);
  const many = Array.from({ length: 9 }, (_, i) => `m${i}`);
  assert.throws(() => new RouterHead(trunk, { agents: ["a", "b", "c", "d"], candidates: many, factorization: "joint" }, rng), /9\^4 = 6561 classes.*use "autoregressive"/);
  const { head } = makeHead(["s", "t"], ["a", "b"]);
  const f = new Float64Array(D).fill(1);
  assert.throws(() => head.distribution(new Float64Array(D - 1), 0), /RouterHead\.distribution: feature f: expected width 12, got 11/);
  assert.throws(() => head.distribution(f, -1), /alpha must be >= 0/);
  assert.throws(() => head.distribution(f, NaN), /alpha must be a finite number/);
  assert.throws(() => head.backwardPolicy(f, 0, [0], 1), /one candidate index per agent \(2\), got 1/);
  assert.throws(() => head.backwardPolicy(f, 0, [0, 5], 1), /agent "t" is 5, expected an index in 0\.\.1/);
  assert.throws(() => head.backwardRegression(f, [{ choices: { s: "a", t: "x" }, cost: 1 }]), /observation 0: agent "t" has candidate "x", expected one of a, b/);
  assert.throws(() => head.backwardRegression(f, [{ choices: [0, 0] }]), /observation 0 has neither quality nor cost/);
  assert.throws(() => head.backwardRegression(f, [{ choices: [0, 1], quality: Infinity }]), /observation 0 quality must be a finite number/);
});

test("autoregressive decoding scales to assignment spaces too large to enumerate", () => {
  const rng = new Rng(3);
  const trunk = new Trunk(D, rng, { width: 8 });
  const many = Array.from({ length: 9 }, (_, i) => `m${i}`);
  const head = new RouterHead(trunk, { agents: ["a", "b", "c", "d"], candidates: many, factorization: "autoregressive" }, rng);
  const f = feature(rng);
  const best = head.argmax(f, 0.2);
  assert.equal(best.choices.length, 4);
  assert.ok(close(best.logProb, head.logProb(f, 0.2, best.choices), 1e-10));
  const dist = head.distribution(f, 0.2);
  assert.equal(dist.assignments.length, 0);
  assert.ok(close(dist.marginals[0].reduce((s, p) => s + p, 0), 1, 1e-12));
});
