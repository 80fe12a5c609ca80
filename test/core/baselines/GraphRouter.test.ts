import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { bceWithLogits, sigmoid } from "../../../src/core/nn/logistic.ts";
import { GraphRouter } from "../../../src/core/baselines/GraphRouter.ts";
import { macroF1 } from "../../../src/core/baselines/macroF1.ts";
import { GraphRouterNet } from "../../../src/core/baselines/GraphRouterNet.ts";
import { COST_FIRST, PERFORMANCE_FIRST, BALANCE, graphRouterLabel, settingForAlpha } from "../../../src/core/baselines/graphRouterSettings.ts";
import { RandomBaseline } from "../../../src/core/baselines/RandomBaseline.ts";
import { withAssignmentEmbeddings } from "../../../src/core/baselines/assignmentSpace.ts";
import { scoreChoices } from "../../../src/core/baselines/scoreChoices.ts";
import type { RoutingExample } from "../../../src/core/baselines/types.ts";
import { checkParameterGradients } from "../nn/finiteDifferences.ts";
import { example, gaussian, pairSpace, soloSpace } from "./synthetic.ts";

test("GraphRouter labels: perf (1, 0) and cost (1, 0) give model 0 under Performance First, model 1 under Cost First", () => {
  assert.equal(graphRouterLabel([1, 0], [1, 0], PERFORMANCE_FIRST), 0);
  assert.equal(graphRouterLabel([1, 0], [1, 0], COST_FIRST), 1);
  // Balance: 0.5 - 0.5 = 0 against 0: a tie goes to the first, as torch.argmax.
  assert.equal(graphRouterLabel([1, 0], [1, 0], BALANCE), 0);
  // The alpha setting ranks by quality - alpha * cost: 0.9 - 0.5 * 0.8 = 0.5 < 0.6 - 0.5 * 0.1 = 0.55.
  assert.equal(graphRouterLabel([0.9, 0.6], [0.8, 0.1], settingForAlpha(0.5)), 1);
  assert.equal(graphRouterLabel([0.9, 0.6], [0.8, 0.1], settingForAlpha(0)), 0);
});

test("macroF1 averages per-class F1 over the classes present, as scikit-learn does", () => {
  // Class 0: tp 1, fp 1, fn 1 -> 0.5; class 1: tp 1, fp 0, fn 1 -> 2/3; class 2: tp 0 -> 0.
  const f1 = macroF1([0, 0, 1, 1], [0, 2, 1, 0]);
  assert.ok(Math.abs(f1 - (0.5 + 2 / 3 + 0) / 3) < 1e-12, `${f1}`);
  assert.equal(macroF1([1, 1], [1, 1]), 1);
});

// Two query clusters in an 8-d embedding space; m0 answers the first, m1 the second. m1 is dearer.
const WIDTH = 8;
const clusters = (() => {
  const rng = new Rng(300);
  const centres = [gaussian(rng, WIDTH, undefined, 1.5), gaussian(rng, WIDTH, undefined, 1.5)];
  const space = withAssignmentEmbeddings(soloSpace(2), [gaussian(rng, 6), gaussian(rng, 6)]);
  const split = (n: number, prefix: string): RoutingExample[] =>
    Array.from({ length: n }, (_, i) => {
      const c = i % 2;
      return example(`${prefix}${i}`, gaussian(rng, WIDTH, [...centres[c]], 0.7), c === 0 ? [1, 0] : [0, 1], [0.2, 0.8]);
    });
  return { space, train: split(120, "tr"), valid: split(40, "va"), test: split(200, "te") };
})();

test("GraphRouter routes unseen queries of two clusters to the LLM that serves them (>= 0.9), and Cost First to the cheap one", () => {
  // Cost First is set for alpha 5, where the reward the checkpoint is selected on (q - 5c) also prefers the cheap LLM
  // on every item (at 0.8 it would prefer the serving LLM: 1 - 0.8 * 0.8 > 0 - 0.8 * 0.2).
  const router = new GraphRouter({ epochs: 200, settings: { 5: COST_FIRST } });
  router.fit(clusters.train, clusters.valid, clusters.space, { rng: new Rng(1), alphas: [0, 5] });
  const served = (ex: RoutingExample) => (ex.quality[0] === 1 ? 0 : 1);
  const accuracy = clusters.test.filter((ex) => router.choose(ex, 0) === served(ex)).length / clusters.test.length;
  assert.ok(accuracy >= 0.9, `unseen-query accuracy ${accuracy}`);
  assert.deepEqual(router.selection(0).setting, PERFORMANCE_FIRST);
  assert.ok(router.selection(0).validReward > 0.9);
  // Cost First: 0.2 * 1 - 0.8 * 0.8 < 0.2 * 0 - 0.8 * 0.2, so every label is the cheap m0.
  const cheap = clusters.test.filter((ex) => router.choose(ex, 5) === 0).length / clusters.test.length;
  assert.ok(cheap >= 0.9, `share routed to the cheap LLM under Cost First ${cheap}`);
  assert.throws(() => router.choose(clusters.test[0], 0.5), /no network was trained for alpha 0\.5 \(fitted for 0, 5\)/);
});

test("GraphRouter with its default settings reaches 0.9 on a planted pattern over the four Teacher/Student assignments, far above Random", () => {
  // Four clusters, each answered only by one assignment.
  const rng = new Rng(310);
  const base = pairSpace();
  const space = withAssignmentEmbeddings(base, base.assignments.map(() => gaussian(rng, 6)));
  const centres = [0, 1, 2, 3].map(() => gaussian(rng, WIDTH, undefined, 1.5));
  const split = (n: number, prefix: string): RoutingExample[] =>
    Array.from({ length: n }, (_, i) => {
      const c = i % 4;
      const quality = [0, 1, 2, 3].map((a) => (a === c ? 1 : 0));
      return example(`${prefix}${i}`, gaussian(rng, WIDTH, [...centres[c]], 0.7), quality, [0.1, 0.4, 0.4, 0.8]);
    });
  const train = split(120, "tr");
  const valid = split(40, "va");
  const heldOut = split(200, "te");
  // The module's defaults, as haps eval runs them (lr 3e-3, 400 epochs). Four LLM nodes learn slowly at the original
  // lr 3e-4 (1000 epochs reach quality 0.62 here, 200 reach 0.48), which is why the default changed.
  const graph = new GraphRouter();
  graph.fit(train, valid, space, { rng: new Rng(2) });
  const random = new RandomBaseline();
  random.fit(train, valid, space, { rng: new Rng(2) });
  const g = scoreChoices(heldOut, heldOut.map((ex) => graph.choose(ex, 0)), 0, 4);
  const r = scoreChoices(heldOut, heldOut.map((ex) => random.choose(ex, 0)), 0, 4);
  assert.ok(g.quality >= 0.9, `GraphRouter quality ${g.quality}`);
  assert.ok(g.quality > r.quality + 0.4, `GraphRouter ${g.quality} vs Random ${r.quality}`);
});

test("GraphRouterNet gradients match finite differences through alignment, edge features, both layers and BatchNorm", () => {
  const rng = new Rng(320);
  const net = new GraphRouterNet(3, 4, 5, 2, rng);
  rng.fillNormal(net.bn1.gamma.data, 0.3, 1);
  rng.fillNormal(net.bn2.beta.data, 0.3);
  const queries = Array.from({ length: 5 }, () => ({ task: rng.fillNormal(new Float64Array(3), 1), query: rng.fillNormal(new Float64Array(4), 1) }));
  const llms = [rng.fillNormal(new Float64Array(5), 1), rng.fillNormal(new Float64Array(5), 1)];
  // Queries 0..4, LLMs 5 and 6. Visible edges carry [utility, cost, perf]; hidden ones are scored.
  const visible = { src: Int32Array.of(0, 1, 2, 3, 4), dst: Int32Array.of(5, 6, 5, 6, 6) };
  const raw = rng.fillNormal(new Float64Array(5 * 3), 1);
  const hidden = [[0, 6, 1], [1, 5, 0], [2, 6, 0], [3, 5, 1], [4, 5, 1]];
  const w = net.width;
  const loss = () => {
    const x = net.align(queries, llms).output;
    const enc = net.encode(x, 7, visible, net.edgeFeatures(raw).output, true).output;
    return hidden.reduce((s, [q, m, y]) => s + bceWithLogits(net.edgeLogit(x.subarray(q * w, (q + 1) * w), enc.subarray(m * w, (m + 1) * w)), y), 0);
  };
  const backward = () => {
    const aligned = net.align(queries, llms);
    const edge = net.edgeFeatures(raw);
    const enc = net.encode(aligned.output, 7, visible, edge.output, true);
    const dx = new Float64Array(aligned.output.length);
    const dEnc = new Float64Array(enc.output.length);
    for (const [q, m, y] of hidden) {
      const xq = aligned.output.subarray(q * w, (q + 1) * w);
      const xm = enc.output.subarray(m * w, (m + 1) * w);
      const g = (sigmoid(net.edgeLogit(xq, xm)) - y) / w;
      for (let k = 0; k < w; k++) {
        dx[q * w + k] += g * xm[k];
        dEnc[m * w + k] += g * xq[k];
      }
    }
    const back = net.encodeBackward(enc, dEnc);
    back.dx.forEach((v, i) => (dx[i] += v));
    net.alignBackward(aligned, dx);
    net.edgeFeaturesBackward(edge, back.dEdgeFeatures);
  };
  const check = checkParameterGradients(net.namedParameters(), loss, backward, rng, { eps: 1e-3, rtol: 3e-3, atol: 1e-5 });
  assert.ok(check.worst <= 1, check.detail);
  assert.ok(check.largest > 0);
});

test("GraphRouter: the same seed gives the same router, another seed another", () => {
  const train = clusters.train.slice(0, 40);
  const valid = clusters.valid.slice(0, 10);
  const make = (seed: number) => {
    const r = new GraphRouter({ epochs: 5, splitsPerEpoch: 4 });
    r.fit(train, valid, clusters.space, { rng: new Rng(seed) });
    return r.edgeProbabilities(clusters.test[0], 0);
  };
  assert.deepEqual(make(9), make(9));
  assert.notDeepEqual(make(9), make(10));
});

test("GraphRouter names missing descriptor embeddings, mixed task embeddings and bad options", () => {
  assert.throws(() => new GraphRouter().fit(clusters.train, [], soloSpace(2), { rng: new Rng(1) }), /assignment 0 \(solo=m0\) has no descriptor embedding/);
  const mixed = [...clusters.train.slice(0, 2), { ...clusters.train[2], taskEmbedding: Float32Array.of(1, 2) }];
  assert.throws(() => new GraphRouter().fit(mixed, [], clusters.space, { rng: new Rng(1) }), /item 2 \("tr2"\): field taskEmbedding has width 2, expected 0/);
  assert.throws(() => new GraphRouter({ maskRate: 1 }), /option maskRate must be in \(0, 1\)/);
  assert.throws(() => new GraphRouter().choose(clusters.test[0], 0), /call fit first/);
});
