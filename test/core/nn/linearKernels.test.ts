import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import { Linear } from "../../../src/core/nn/Linear.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { KERNEL_MIN_WEIGHTS, LinearKernel } from "../../../src/core/nn/kernels/LinearKernel.ts";
import { kernelThreads, setKernelThreads, SPLIT_MIN_WEIGHTS } from "../../../src/core/nn/kernels/KernelThreads.ts";
import { LoraGenerator } from "../../../src/core/generator/LoraGenerator.ts";
import { Trunk } from "../../../src/core/nn/Trunk.ts";
import { WASM_BASE64 } from "../../../src/core/nn/kernels/linearKernels.wasm.ts";
import { assembleWat } from "../../../scripts/assembleWat.mjs";

const WAT = new URL("../../../src/core/nn/kernels/linearKernels.wat", import.meta.url);

// The scalar loops of Linear.ts, written out again as the reference the kernels must reproduce.
function referenceForward(w: Float32Array, b: Float32Array, x: Float64Array, out: number, inW: number): Float64Array {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b[o];
    for (let i = 0; i < inW; i++) s += w[o * inW + i] * x[i];
    y[o] = s;
  }
  return y;
}

function referenceBackward(w: Float32Array, gw: Float32Array, gb: Float32Array, x: Float64Array, dy: Float64Array, out: number, inW: number): Float64Array {
  const dx = new Float64Array(inW);
  for (let o = 0; o < out; o++) {
    const g = dy[o];
    if (g === 0) continue;
    gb[o] += g;
    for (let i = 0; i < inW; i++) gw[o * inW + i] += g * x[i];
    for (let i = 0; i < inW; i++) dx[i] += w[o * inW + i] * g;
  }
  return dx;
}

test("the committed kernel module is what wabt assembles from linearKernels.wat (run scripts/buildKernels.mjs)", async () => {
  const assembled = await assembleWat("linearKernels.wat", await readFile(WAT, "utf8"));
  assert.deepEqual(Buffer.from(assembled), Buffer.from(WASM_BASE64, "base64"));
});

test("small layers stay on the scalar loops; large ones get a kernel", () => {
  assert.equal(LinearKernel.create(10, 10), null);
  assert.ok(LinearKernel.create(KERNEL_MIN_WEIGHTS, 1) instanceof LinearKernel);
});

// Widths whose column count leaves a remainder for the kernels' scalar tails (mod 8 forward, mod 4 backward).
for (const [out, inW] of [
  [300, 61],
  [128, 256],
  [17, 1031],
]) {
  test(`kernel forward equals the scalar sum to rounding, backward is bit-identical (${out} x ${inW})`, () => {
    const rng = new Rng(out + inW);
    const kernel = LinearKernel.create(out, inW)!;
    assert.ok(kernel, "this layer is large enough for a kernel");
    rng.fillNormal(kernel.weight, 1 / Math.sqrt(inW));
    rng.fillNormal(kernel.bias, 0.5);
    const x = rng.fillNormal(new Float64Array(inW), 1);
    const y = kernel.forward(x);
    const expected = referenceForward(kernel.weight, kernel.bias, x, out, inW);
    for (let o = 0; o < out; o++) assert.ok(Math.abs(y[o] - expected[o]) <= 1e-12 * (1 + Math.abs(expected[o])), `row ${o}: ${y[o]} vs ${expected[o]}`);

    rng.fillNormal(kernel.weightGrad, 0.1);
    rng.fillNormal(kernel.biasGrad, 0.1);
    const gw = Float32Array.from(kernel.weightGrad);
    const gb = Float32Array.from(kernel.biasGrad);
    const dy = rng.fillNormal(new Float64Array(out), 1);
    dy[0] = 0; // a zero row is skipped
    dy[1] = -0;
    const dx = kernel.backward(x, dy, true)!;
    const expectedDx = referenceBackward(kernel.weight, gw, gb, x, dy, out, inW);
    assert.deepEqual(dx, expectedDx);
    assert.deepEqual(kernel.weightGrad, gw);
    assert.deepEqual(kernel.biasGrad, gb);
    // Without the input gradient: the same parameter gradients, accumulated once more.
    assert.equal(kernel.backward(x, dy, false), null);
    referenceBackward(kernel.weight, gw, gb, x, dy, out, inW);
    assert.deepEqual(kernel.weightGrad, gw);
  });
}

test("a large Linear layer's parameters are the kernel's: updates in place reach the next forward pass", () => {
  const rng = new Rng(9);
  const layer = new Linear(256, 300, rng, { biasStd: 0.1 });
  const x = rng.fillNormal(new Float64Array(256), 1);
  const before = layer.forward(x);
  const [w53, b7] = [layer.weight.data[5 * 256 + 3], layer.bias.data[7]];
  layer.weight.data[5 * 256 + 3] += 1; // what an optimiser step does
  layer.bias.data[7] -= 2;
  const after = layer.forward(x);
  assert.ok(Math.abs(after[5] - before[5] - (layer.weight.data[5 * 256 + 3] - w53) * x[3]) < 1e-9);
  assert.ok(Math.abs(after[7] - before[7] - (layer.bias.data[7] - b7)) < 1e-9);
  const expected = referenceForward(layer.weight.data, layer.bias.data, x, 300, 256);
  for (let o = 0; o < 300; o++) assert.ok(Math.abs(after[o] - expected[o]) <= 1e-12 * (1 + Math.abs(expected[o])));
  layer.weight.grad.fill(0);
  layer.backward(x, Float64Array.from({ length: 300 }, (_, o) => (o === 4 ? 2 : 0)));
  assert.equal(layer.weight.grad[4 * 256 + 10], Math.fround(2 * x[10]));
  assert.equal(layer.weight.grad[3 * 256 + 10], 0);
});

test("a large layer's forward pass split over threads is bit-identical to one thread, whatever the split", () => {
  const before = kernelThreads();
  try {
    // 4099 rows: no thread count divides them, so every split has a short last part.
    const [out, inW] = [4099, 257];
    assert.ok(out * inW >= SPLIT_MIN_WEIGHTS, "this layer is large enough to be split");
    const rng = new Rng(17);
    const kernel = LinearKernel.create(out, inW)!;
    rng.fillNormal(kernel.weight, 1 / Math.sqrt(inW));
    rng.fillNormal(kernel.bias, 0.5);
    const x = rng.fillNormal(new Float64Array(inW), 1);
    setKernelThreads(1);
    const one = kernel.forward(x);
    const expected = referenceForward(kernel.weight, kernel.bias, x, out, inW);
    for (let o = 0; o < out; o += 97) assert.ok(Math.abs(one[o] - expected[o]) <= 1e-12 * (1 + Math.abs(expected[o])));
    for (const threads of [2, 3, 4]) {
      setKernelThreads(threads);
      assert.deepEqual(kernel.forward(x), one, `${threads} threads`);
      // The helpers see the weights as they are now: an optimiser's in-place update reaches their rows too.
      const kept = kernel.weight[(out - 1) * inW];
      kernel.weight[(out - 1) * inW] += 1;
      const updated = kernel.forward(x);
      setKernelThreads(1);
      assert.deepEqual(updated, kernel.forward(x), `${threads} threads after an update`);
      assert.notEqual(updated[out - 1], one[out - 1]);
      kernel.weight[(out - 1) * inW] = kept;
    }
  } finally {
    setKernelThreads(before);
  }
});

test("the LoRA generator writes the same adapter on one thread and on several (a 4096-wide model's heads)", () => {
  const before = kernelThreads();
  try {
    const rng = new Rng(5);
    const trunk = new Trunk(64, rng);
    const model = { id: "wide", architecture: "llama", blockCount: 2, oProj: [0, 1].map((layer) => ({ layer, inWidth: 4096, outWidth: 4096 })) };
    const generator = new LoraGenerator(model, trunk, { rank: 8, lastLayers: 1, hidden: 256 }, rng);
    const f = rng.fillNormal(new Float32Array(64), 1);
    setKernelThreads(1);
    const one = generator.generate(f);
    setKernelThreads(2);
    const two = generator.generate(f);
    assert.deepEqual(two.layers[0].a, one.layers[0].a);
    assert.deepEqual(two.layers[0].b, one.layers[0].b);
    assert.ok(one.layers[0].a.some((v) => v !== 0) && one.layers[0].b.some((v) => v !== 0));
  } finally {
    setKernelThreads(before);
  }
});

test("setKernelThreads takes a positive integer and caps it", () => {
  const before = kernelThreads();
  try {
    assert.throws(() => setKernelThreads(0), /positive integer, got 0/);
    assert.throws(() => setKernelThreads(1.5), /positive integer/);
    setKernelThreads(64);
    assert.ok(kernelThreads() <= 4);
  } finally {
    setKernelThreads(before);
  }
});

test("a collected layer's memory is released by the helper threads too, not kept for the process's life", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const before = kernelThreads();
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(20); // the finalizer runs, the helper drops the layer and collects
    }
  };
  try {
    setKernelThreads(2);
    await settle();
    const start = process.memoryUsage().rss;
    const MiB = 2 ** 20;
    // Six layers of 64 MiB of weights, one after another, each used by the helper: kept, they would add 384 MiB.
    for (let i = 0; i < 6; i++) {
      const kernel = LinearKernel.create(16_384, 1024)!;
      kernel.weight.fill(0.01 * (i + 1));
      const y = kernel.forward(new Float64Array(1024).fill(1));
      assert.ok(Math.abs(y[16_383] - 0.01 * (i + 1) * 1024) < 1e-3, "the helper's rows are right");
      await settle();
    }
    const grew = (process.memoryUsage().rss - start) / MiB;
    assert.ok(grew < 160, `resident memory grew by ${grew.toFixed(0)} MiB over six 64 MiB layers`);
  } finally {
    setKernelThreads(before);
  }
});
