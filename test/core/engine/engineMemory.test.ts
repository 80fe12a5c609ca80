// 1,000 distinct generated adapters through the engine process as shipped (plain node, the esbuild bundle) keep its
// resident memory flat - with glibc's own mmap threshold (no MALLOC_MMAP_THRESHOLD_: the native layer updates pooled
// adapters in place and trims the heap; allocatorEnv.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { EngineClient } from "../../../src/core/engine/EngineClient.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { tempDir } from "../runtime/helpers.ts";
import { median, residentMiB, shippedEnginePath } from "./shippedEngine.ts";

const skip = process.platform === "linux" ? false : "reads /proc";
let engine: EngineClient;
let model: string;
before(async () => {
  if (skip) return;
  // A 1024-wide model and rank-8 adapters (64 KiB each): were adapters kept, 1,000 of them would add 62 MiB.
  model = path.join(tempDir("engine-memory"), "wide1024.gguf");
  await buildTinyLlama({ name: "wide1024", embeddingLength: 1024, blockCount: 2, headCount: 4, feedForwardLength: 64, seed: 3 }).write(model);
  engine = new EngineClient({ enginePath: await shippedEnginePath(), runtime: { threads: 1, gpu: false } });
});
after(async () => {
  await engine?.dispose();
});

test("1,000 distinct adapters through the shipped engine keep its resident memory flat", { skip }, async (t) => {
  const width = 1024;
  const rank = 8;
  const rng = new Rng(1);
  // New arrays every time, as the pipeline generates them and IPC delivers them: every adapter is distinct.
  const query = () =>
    engine.request("generate", {
      modelPath: model,
      prompt: "Once upon a time",
      maxTokens: 1,
      adapter: {
        lora: {
          architecture: "llama",
          layers: [{ layer: 1, inWidth: width, outWidth: width, rank, a: rng.fillNormal(new Float32Array(width * rank), 0.03), b: rng.fillNormal(new Float32Array(rank * width), 0.03) }],
        },
      },
    });
  for (let i = 0; i < 50; i++) await query();
  const pid = engine.pid!;
  const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  assert.ok(!environ.some((v) => v.startsWith("MALLOC_MMAP_THRESHOLD_=")), "the engine runs with a fixed mmap threshold");
  const { nativeLayer } = await engine.request("runtimeInfo", {});
  t.diagnostic(`adapter path: ${nativeLayer.path} (${nativeLayer.detail})`);
  const samples: number[] = [];
  for (let i = 0; i < 1000; i++) {
    await query();
    samples.push(residentMiB(pid));
  }
  assert.equal(engine.pid, pid, "the engine restarted during the run");
  // The shipped engine cannot be made to collect garbage, so RSS swings by the garbage V8 has not collected yet
  // (measured: 15-22 MiB peak to trough). The trend is read from medians: the last 100 queries against the first
  // 100 after the warm-up. A kept adapter would move it by 62 MiB.
  const growth = median(samples.slice(-100)) - median(samples.slice(0, 100));
  t.diagnostic(
    `RSS growth over 1,000 adapters of 64 KiB (median of the last 100 - median of the first 100): ${growth.toFixed(2)} MiB; ` +
      `last - first sample ${(samples.at(-1)! - samples[0]).toFixed(2)} MiB; swing ${(Math.max(...samples) - Math.min(...samples)).toFixed(1)} MiB`,
  );
  assert.ok(growth < 20, `resident memory grew by ${growth.toFixed(1)} MiB over 1,000 adapters`);
});
