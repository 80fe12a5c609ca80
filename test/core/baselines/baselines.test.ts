import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { buildAssignmentSpace, withAssignmentEmbeddings } from "../../../src/core/baselines/assignmentSpace.ts";
import { FixedBaseline } from "../../../src/core/baselines/FixedBaseline.ts";
import { GraphRouter } from "../../../src/core/baselines/GraphRouter.ts";
import { IrtRouter } from "../../../src/core/baselines/IrtRouter.ts";
import { OracleBaseline } from "../../../src/core/baselines/OracleBaseline.ts";
import { RandomBaseline } from "../../../src/core/baselines/RandomBaseline.ts";
import { RouteLlmMfRouter } from "../../../src/core/baselines/RouteLlmMfRouter.ts";
import { scoreChoices } from "../../../src/core/baselines/scoreChoices.ts";
import type { Baseline, RoutingExample } from "../../../src/core/baselines/types.ts";
import { reward } from "../../../src/core/metrics/reward/reward.ts";
import { candidates, example, gaussian, pairSpace, randomExamples } from "./synthetic.ts";

test("the assignment space enumerates M^N assignments with agent 0 slowest, labelled and described", () => {
  const space = buildAssignmentSpace(["teacher", "student"], candidates(3));
  assert.equal(space.assignments.length, 9);
  assert.deepEqual(space.assignments.map((a) => a.choices.join("")), ["00", "01", "02", "10", "11", "12", "20", "21", "22"]);
  assert.equal(space.assignments[5].label, "teacher=m1, student=m2");
  assert.equal(space.assignments[5].descriptor, "teacher: model 1, larger and dearer | student: model 2, larger and dearer");
  assert.throws(() => buildAssignmentSpace(["a", "a"], candidates(2)), /agent names repeat/);
  assert.throws(() => buildAssignmentSpace(["a"], [{ ...candidates(1)[0], price: { input: -1, output: 0 } }]), /candidate "m0" field price\.input/);
  assert.throws(() => withAssignmentEmbeddings(space, [new Float32Array(2)]), /9 assignments but 1 embeddings/);
});

test("scoreChoices averages the chosen assignments' outcomes and counts the mix", () => {
  const examples = [example("a", new Float32Array(1), [0.2, 0.9], [0, 1]), example("b", new Float32Array(1), [1, 0], [0.5, 0.25])];
  const s = scoreChoices(examples, [1, 1], 0.5, 2);
  assert.ok(Math.abs(s.quality - 0.45) < 1e-12 && Math.abs(s.cost - 0.625) < 1e-12);
  assert.ok(Math.abs(s.reward - (0.9 - 0.5 + 0 - 0.125) / 2) < 1e-12);
  assert.deepEqual(s.counts, [0, 2]);
  assert.throws(() => scoreChoices(examples, [0, 2], 0, 2), /choice 1 \(item "b"\) is 2/);
});

test("Fixed always returns its assignment; one per assignment, named by its label", () => {
  const space = pairSpace();
  const all = FixedBaseline.all(space);
  assert.deepEqual(all.map((f) => f.name), space.assignments.map((a) => `Fixed (${a.label})`));
  const examples = randomExamples(new Rng(1), space, 20, 3, "x");
  for (const f of all) {
    f.fit(examples, [], space, { rng: new Rng(0) });
    assert.ok(examples.every((ex) => f.choose(ex, 0) === f.assignment && f.choose(ex, 0.8) === f.assignment));
  }
  assert.throws(() => new FixedBaseline(7).fit(examples, [], space, { rng: new Rng(0) }), /assignment 7 does not exist; the space has 4/);
});

test("Random is uniform over the assignments, fixed per item id and seed, independent of call order", () => {
  const space = pairSpace();
  const examples = randomExamples(new Rng(2), space, 4000, 2, "r");
  const random = new RandomBaseline();
  random.fit(examples, [], space, { rng: new Rng(5) });
  const choices = examples.map((ex) => random.choose(ex, 0));
  const counts = [0, 1, 2, 3].map((a) => choices.filter((c) => c === a).length);
  // 1000 expected each; a standard deviation is about 27.
  assert.ok(counts.every((c) => Math.abs(c - 1000) < 120), `counts ${counts}`);
  const reversed = [...examples].reverse().map((ex) => random.choose(ex, 0.5)).reverse();
  assert.deepEqual(reversed, choices);
  const again = new RandomBaseline();
  again.fit(examples, [], space, { rng: new Rng(5) });
  assert.deepEqual(examples.slice(0, 50).map((ex) => again.choose(ex, 0)), choices.slice(0, 50));
  const other = new RandomBaseline();
  other.fit(examples, [], space, { rng: new Rng(6) });
  assert.notDeepEqual(examples.slice(0, 50).map((ex) => other.choose(ex, 0)), choices.slice(0, 50));
});

test("Oracle picks the best observed reward per item; ties go to the cheaper assignment", () => {
  const space = pairSpace();
  const oracle = new OracleBaseline();
  oracle.fit([], [], space, { rng: new Rng(0) });
  // Binary fractions, so that the ties below are exact.
  const ex = example("o", new Float32Array(1), [0.5, 0.75, 0.75, 0.625], [0.125, 1, 0.5, 0.25]);
  // alpha 0: assignments 1 and 2 tie at 0.75; 2 is cheaper.
  assert.equal(oracle.choose(ex, 0), 2);
  // alpha 0.5: 0.4375, 0.25, 0.5, 0.5 -> the tie between 2 and 3 goes to the cheaper 3.
  assert.equal(oracle.choose(ex, 0.5), 3);
  assert.equal(oracle.choose(ex, 10), 0);
});

/** Every method, small enough to fit in a second on a few hundred random items. */
function allMethods(): Baseline[] {
  return [
    new RandomBaseline(),
    ...FixedBaseline.all(pairSpace()),
    new OracleBaseline(),
    new RouteLlmMfRouter({ dim: 8, epochs: 3, minSteps: 0 }),
    new IrtRouter({ knowledge: 4, epochs: 3, minSteps: 0 }),
    new GraphRouter({ epochs: 5, splitsPerEpoch: 4 }),
  ];
}

const randomData = (() => {
  const rng = new Rng(40);
  const base = pairSpace();
  const space = withAssignmentEmbeddings(base, base.assignments.map(() => gaussian(rng, 5)));
  return { space, train: randomExamples(rng, space, 150, 6, "tr"), valid: randomExamples(rng, space, 40, 6, "va"), test: randomExamples(rng, space, 150, 6, "te") };
})();
const ALPHAS = [0, 0.5, 0.8];

function fitAll(seed: number): Baseline[] {
  const methods = allMethods();
  for (const m of methods) m.fit(randomData.train, randomData.valid, randomData.space, { rng: new Rng(seed), alphas: ALPHAS });
  return methods;
}

test("Oracle is an upper bound of every method, item by item and on average, at every alpha", () => {
  const methods = fitAll(1);
  const oracle = methods.find((m) => m instanceof OracleBaseline)!;
  for (const alpha of ALPHAS) {
    const best = scoreChoices(randomData.test, randomData.test.map((ex) => oracle.choose(ex, alpha)), alpha, 4).reward;
    for (const m of methods) {
      const choices = randomData.test.map((ex) => m.choose(ex, alpha));
      randomData.test.forEach((ex, i) => {
        const o = oracle.choose(ex, alpha);
        assert.ok(reward(ex.quality[choices[i]], ex.cost[choices[i]], alpha) <= reward(ex.quality[o], ex.cost[o], alpha), `${m.name} beats the oracle on ${ex.id}`);
      });
      const mean = scoreChoices(randomData.test, choices, alpha, 4).reward;
      assert.ok(mean <= best, `${m.name} at alpha ${alpha}: ${mean} > oracle ${best}`);
      if (m !== oracle && m.weighsCost === false) assert.ok(mean < best, `${m.name} should not match the oracle on random data`);
    }
  }
});

test("only the Oracle reads an item's outcomes: hiding them changes no other method's choice", () => {
  const methods = fitAll(2);
  const hidden: RoutingExample[] = randomData.test.map((ex) => ({ ...ex, quality: [NaN, NaN, NaN, NaN], cost: [NaN, NaN, NaN, NaN] }));
  for (const m of methods) {
    if (m instanceof OracleBaseline) {
      assert.throws(() => m.choose(hidden[0], 0), /field quality\[0\] \(teacher=m0, student=m0\) is not a finite number/);
      continue;
    }
    for (const alpha of ALPHAS) {
      assert.deepEqual(hidden.map((ex) => m.choose(ex, alpha)), randomData.test.map((ex) => m.choose(ex, alpha)), m.name);
    }
  }
});

test("every method is seeded: the same seed gives the same choices", () => {
  const first = fitAll(3);
  const second = fitAll(3);
  first.forEach((m, k) => {
    for (const alpha of ALPHAS) {
      assert.deepEqual(randomData.test.map((ex) => second[k].choose(ex, alpha)), randomData.test.map((ex) => m.choose(ex, alpha)), m.name);
    }
  });
});
