import { test } from "node:test";
import assert from "node:assert/strict";
import { BatchNorm } from "../../../src/core/nn/BatchNorm.ts";
import { GeneralConv, type EdgeList } from "../../../src/core/nn/GeneralConv.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { bceWithLogits, bceWithLogitsGrad, sigmoid, softplus } from "../../../src/core/nn/logistic.ts";
import { checkParameterGradients, dot, numericInputGradient, worstMismatch } from "./finiteDifferences.ts";

function randomVector(rng: Rng, n: number, std = 1, mean = 0): Float64Array {
  return rng.fillNormal(new Float64Array(n), std, mean);
}

test("BatchNorm in training mode gives each channel zero mean and unit variance, then gamma and beta", () => {
  const rng = new Rng(1);
  const bn = new BatchNorm(3);
  bn.gamma.data.set([2, 1, 0.5]);
  bn.beta.data.set([1, -1, 0]);
  const x = randomVector(rng, 5 * 3, 4, 3);
  const y = bn.forward(x, 5, true).output;
  for (let j = 0; j < 3; j++) {
    const col = [0, 1, 2, 3, 4].map((r) => y[r * 3 + j]);
    const mean = col.reduce((a, b) => a + b, 0) / 5;
    const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / 5;
    assert.ok(Math.abs(mean - bn.beta.data[j]) < 1e-9, `channel ${j} mean ${mean}`);
    // Variance gamma^2 * var / (var + eps): within eps of gamma^2.
    assert.ok(Math.abs(variance - bn.gamma.data[j] ** 2) < 1e-4, `channel ${j} variance ${variance}`);
  }
});

test("BatchNorm running statistics follow PyTorch: momentum 0.1, unbiased variance; eval mode uses them", () => {
  const bn = new BatchNorm(1);
  const x = Float64Array.of(1, 2, 3, 6);
  bn.forward(x, 4, true);
  // Batch mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 = 14/3.
  assert.ok(Math.abs(bn.runningMean[0] - 0.3) < 1e-12);
  assert.ok(Math.abs(bn.runningVar[0] - (0.9 + 0.1 * (14 / 3))) < 1e-12);
  const y = bn.forward(Float64Array.of(5), 1, false).output;
  assert.ok(Math.abs(y[0] - (5 - 0.3) / Math.sqrt(bn.runningVar[0] + 1e-5)) < 1e-12);
  assert.throws(() => bn.forward(Float64Array.of(5), 1, true), /at least 2 rows/);
  assert.throws(() => bn.forward(Float64Array.of(5, 6, 7), 2, true), /expected 2 x 1 = 2 values, got 3/);
});

for (const training of [true, false]) {
  test(`BatchNorm backward (${training ? "training" : "eval"} mode) matches finite differences`, () => {
    const rng = new Rng(2);
    const bn = new BatchNorm(4);
    rng.fillNormal(bn.gamma.data, 0.5, 1);
    rng.fillNormal(bn.beta.data, 0.5);
    // Give the running statistics something other than their initial values.
    bn.forward(randomVector(rng, 6 * 4, 2, 1), 6, true);
    const x = randomVector(rng, 6 * 4, 1.5, 0.5);
    const c = randomVector(rng, 6 * 4);
    const loss = (v: Float64Array) => dot(c, bn.forward(v, 6, training).output);
    let dx: Float64Array | null = null;
    const check = checkParameterGradients(bn.namedParameters(), () => loss(x), () => (dx = bn.backward(bn.forward(x, 6, training), c)), rng);
    assert.ok(check.worst <= 1, check.detail);
    assert.ok(check.largest > 0);
    const numeric = numericInputGradient(x, loss);
    assert.ok(worstMismatch(numeric, dx!, 1e-5, 1e-8) <= 1);
  });
}

/** The layer written as PyG states it: one message per edge, summed at the destination, plus the node itself. */
function naiveConv(conv: GeneralConv, x: Float64Array, nodes: number, edges: EdgeList, attr: Float64Array): Float64Array {
  const w = conv.width;
  const out = Float64Array.from(x);
  for (let e = 0; e < edges.src.length; e++) {
    const m = conv.message.forward(x.slice(edges.src[e] * w, (edges.src[e] + 1) * w));
    const a = conv.edge.forward(attr.slice(e * conv.edgeWidth, (e + 1) * conv.edgeWidth));
    for (let j = 0; j < w; j++) out[edges.dst[e] * w + j] += m[j] + a[j];
  }
  return out;
}

function smallGraph(): { nodes: number; edges: EdgeList } {
  // Nodes 0..3 send to 4 and 5; node 5 also sends to 4; node 3 receives nothing.
  return { nodes: 6, edges: { src: Int32Array.of(0, 1, 2, 0, 5, 3), dst: Int32Array.of(4, 4, 5, 5, 4, 5) } };
}

test("GeneralConv equals the per-edge message sum (x_i + sum of W_msg x_j + b + W_edge e_ji + b)", () => {
  const rng = new Rng(3);
  const conv = new GeneralConv(5, 3, rng);
  rng.fillNormal(conv.message.bias.data, 0.3);
  rng.fillNormal(conv.edge.bias.data, 0.3);
  const { nodes, edges } = smallGraph();
  const x = randomVector(rng, nodes * 5);
  const attr = randomVector(rng, edges.src.length * 3);
  const out = conv.forward(x, nodes, edges, attr).output;
  assert.ok(worstMismatch(out, naiveConv(conv, x, nodes, edges, attr), 1e-9, 1e-12) <= 1);
  // A node without incoming edges keeps its features.
  assert.deepEqual([...out.slice(3 * 5, 4 * 5)], [...x.slice(3 * 5, 4 * 5)]);
});

test("GeneralConv backward matches finite differences for weights, node and edge features", () => {
  const rng = new Rng(4);
  const conv = new GeneralConv(4, 3, rng);
  rng.fillNormal(conv.message.bias.data, 0.3);
  const { nodes, edges } = smallGraph();
  const x = randomVector(rng, nodes * 4);
  const attr = randomVector(rng, edges.src.length * 3);
  const c = randomVector(rng, nodes * 4);
  let grads: { dx: Float64Array; dEdgeAttr: Float64Array } | null = null;
  const check = checkParameterGradients(
    conv.namedParameters(),
    () => dot(c, conv.forward(x, nodes, edges, attr).output),
    () => (grads = conv.backward(conv.forward(x, nodes, edges, attr), c)),
    rng,
  );
  assert.ok(check.worst <= 1, check.detail);
  assert.ok(check.largest > 0);
  const numericX = numericInputGradient(x, (v) => dot(c, conv.forward(v, nodes, edges, attr).output));
  assert.ok(worstMismatch(numericX, grads!.dx, 1e-5, 1e-8) <= 1);
  const numericE = numericInputGradient(attr, (v) => dot(c, conv.forward(x, nodes, edges, v).output));
  assert.ok(worstMismatch(numericE, grads!.dEdgeAttr, 1e-5, 1e-8) <= 1);
});

test("GeneralConv names a bad edge and a wrong width", () => {
  const conv = new GeneralConv(2, 1, new Rng(0));
  assert.throws(() => conv.forward(new Float64Array(4), 2, { src: Int32Array.of(0), dst: Int32Array.of(2) }, new Float64Array(1)), /edge 0 \(0 -> 2\) leaves the 2 nodes/);
  assert.throws(() => conv.forward(new Float64Array(3), 2, { src: Int32Array.of(), dst: Int32Array.of() }, new Float64Array(0)), /expected 2 x 2 node values, got 3/);
});

test("sigmoid, softplus and BCE with logits stay finite for large logits and match their definitions", () => {
  for (const x of [-800, -30, -1, 0, 0.5, 30, 800]) {
    const s = sigmoid(x);
    assert.ok(s >= 0 && s <= 1 && Number.isFinite(s));
    assert.ok(Number.isFinite(softplus(x)));
    if (Math.abs(x) <= 30) {
      assert.ok(Math.abs(s - 1 / (1 + Math.exp(-x))) < 1e-15);
      assert.ok(Math.abs(softplus(x) - Math.log(1 + Math.exp(x))) < 1e-12);
    }
  }
  assert.equal(softplus(800), 800);
  // BCE = -(y log p + (1 - y) log(1 - p)).
  const p = sigmoid(0.7);
  assert.ok(Math.abs(bceWithLogits(0.7, 0.25) - -(0.25 * Math.log(p) + 0.75 * Math.log(1 - p))) < 1e-12);
  const numeric = (bceWithLogits(0.7 + 1e-6, 0.25) - bceWithLogits(0.7 - 1e-6, 0.25)) / 2e-6;
  assert.ok(Math.abs(numeric - bceWithLogitsGrad(0.7, 0.25)) < 1e-8);
});
