// Where a model's layers went, as the runtime logs it. This machine has no GPU, so the GPU cases are checked on the
// wording alone: that a partial offload and a CPU fallback are reported as warnings that say so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeOffload } from "../../../src/core/runtime/describeOffload.ts";

test("every outcome of a load is said, and any layer left off the GPU is a warning", () => {
  const base = { name: "loaded m.gguf", totalLayers: 33 };
  assert.deepEqual(describeOffload({ ...base, gpu: false, gpuLayers: 0 }), {
    level: "info",
    message: "loaded m.gguf: 0/33 layers offloaded (no GPU backend: all layers on the CPU)",
  });
  assert.deepEqual(describeOffload({ ...base, gpu: "cuda", gpuLayers: 33 }), { level: "info", message: "loaded m.gguf: 33/33 layers offloaded to cuda (all of them)" });
  const partial = describeOffload({ ...base, gpu: "cuda", gpuLayers: 20 });
  assert.equal(partial.level, "warn");
  assert.match(partial.message, /20\/33 layers offloaded to cuda: the other 13 do not fit in the free GPU memory and run on the CPU \(slower\)/);
  const none = describeOffload({ ...base, gpu: "vulkan", gpuLayers: 0 });
  assert.equal(none.level, "warn");
  assert.match(none.message, /0\/33 layers offloaded to vulkan: the model does not fit in the free GPU memory, so it runs on the CPU/);
  const fellBack = describeOffload({ ...base, gpu: "cuda", gpuLayers: 0, fellBackBecause: "out of memory" });
  assert.equal(fellBack.level, "warn");
  assert.match(fellBack.message, /loading it on cuda failed \(out of memory\), so it fell back to the CPU/);
});
