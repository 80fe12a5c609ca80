// Adapters updated in place through the native layer, against the TypeScript path (adapter files) with the addon
// disabled: the same A and B give bit-identical next-token distributions and the same tokens on every embedded model,
// concurrent queries never see each other's adapter, the pool stays small, and the layer's checks catch mismatches.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { LoraAdapter } from "../../../src/core/adapters/types.ts";
import { writeLoraAdapter } from "../../../src/core/adapters/writeLoraAdapter.ts";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { findNativeBinary, NativeLayer } from "../../../src/core/native/nativeLayer.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import type { LoadedModel } from "../../../src/core/runtime/LoadedModel.ts";
import { LORA_POOL_LIMIT } from "../../../src/core/runtime/LoraPool.ts";
import { tempDir } from "./helpers.ts";

const skip = process.platform !== "linux" ? "the native layer is built on Linux only" : findNativeBinary() == null ? "no native binary: run npm run build" : false;
const PROMPTS = ["Once upon a time", "The answer is", "Which river flows through Paris?"];

/** Strong random adapters on the last two layers (untrained scale-1 adapters barely act: shared NOTES). */
function adapterFor(width: number, blocks: number, seed: number): LoraAdapter {
  const rng = new Rng(seed);
  const rank = 8;
  return {
    architecture: "llama",
    layers: [blocks - 2, blocks - 1].map((layer) => ({
      layer,
      inWidth: width,
      outWidth: width,
      rank,
      a: rng.fillNormal(new Float32Array(width * rank), 0.5),
      b: rng.fillNormal(new Float32Array(rank * width), 0.5),
    })),
  };
}

interface Figures {
  probabilities: Map<number, number>[];
  text: string[];
  concurrent: string[];
  base: Map<number, number>;
}

describe("in-place adapters (native layer)", { skip }, () => {
  let models: { path: string; width: number; blocks: number }[];
  let native: Figures[];
  let files: Figures[];
  let nativeRuntimeInfo: Awaited<ReturnType<LlamaRuntime["info"]>>;
  let poolSizes: number[];
  let fallbackInfo: Awaited<ReturnType<LlamaRuntime["info"]>>;

  /** The same queries through a runtime with the native layer on or off. */
  async function run(useNative: boolean): Promise<Figures[]> {
    const runtime = await LlamaRuntime.create({ gpu: false, threads: 1, native: useNative });
    try {
      const out: Figures[] = [];
      for (const m of models) {
        const adapters = [1, 2, 3, 4].map((s) => adapterFor(m.width, m.blocks, s));
        const scale = 3;
        // One after another: each query's adapter overwrites the pooled one the previous query left.
        const probabilities: Map<number, number>[] = [];
        for (const [i, lora] of adapters.entries()) probabilities.push(await runtime.nextTokenProbabilities(m.path, PROMPTS[i % PROMPTS.length], { lora, scale }));
        const text: string[] = [];
        for (const lora of adapters) text.push((await runtime.generate({ modelPath: m.path, prompt: PROMPTS[0], maxTokens: 12, adapter: { lora, scale } })).text);
        // Four at once, each with its own adapter: each must get what it gets alone.
        const concurrent = await Promise.all(adapters.map(async (lora) => (await runtime.generate({ modelPath: m.path, prompt: PROMPTS[0], maxTokens: 12, adapter: { lora, scale } })).text));
        const base = await runtime.nextTokenProbabilities(m.path, PROMPTS[0]);
        out.push({ probabilities, text, concurrent, base });
      }
      const info = await runtime.info();
      if (useNative) {
        nativeRuntimeInfo = info;
        for (const m of models) assert.ok((await runtime.loadModel(m.path)).inPlaceAdapters, `${m.path}: its adapters are updated in place`);
        poolSizes = await Promise.all(models.map(async (m) => ((await runtime.loadModel(m.path)) as unknown as { pool: { size: number } | null }).pool?.size ?? -1));
      } else {
        fallbackInfo = info;
      }
      return out;
    } finally {
      await runtime.dispose();
    }
  }

  before(async () => {
    const config = defaultConfig(await ensureDefaultModels(tempDir("models")));
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const paths = [...new Set(config.candidates.map((c) => (c as { model?: string }).model).filter((p): p is string => p != null))];
    models = await Promise.all(
      paths.map(async (p) => {
        const arch = (await readGgufFileInfo(p)).architectureMetadata as { embedding_length: number; block_count: number };
        return { path: p, width: arch.embedding_length, blocks: arch.block_count };
      }),
    );
    native = await run(true);
    files = await run(false);
  });

  test("the runtime names its path: native with the addon, typescript with it disabled", () => {
    assert.equal(nativeRuntimeInfo.nativeLayer.path, "native", nativeRuntimeInfo.nativeLayer.detail);
    assert.equal(fallbackInfo.nativeLayer.path, "typescript");
    assert.match(fallbackInfo.nativeLayer.detail, /disabled by the runtime options/);
  });

  test("the same A and B give bit-identical distributions and the same tokens as the adapter file, on every embedded model", () => {
    assert.ok(models.length >= 2, `embedded candidate models: ${models.length}`);
    for (const [k, m] of models.entries()) {
      for (const [i, p] of native[k].probabilities.entries()) {
        const f = files[k].probabilities[i];
        assert.equal(p.size, f.size, `${m.path} adapter ${i}: support`);
        for (const [token, value] of p) assert.equal(value, f.get(token), `${m.path} adapter ${i}: token ${token}`);
      }
      assert.deepEqual(native[k].text, files[k].text, `${m.path}: greedy text`);
    }
  });

  test("the adapters act (so the comparisons above could fail), and differ from each other", () => {
    for (const [k, m] of models.entries()) {
      const changed = native[k].probabilities.filter((p) => [...p].some(([t, v]) => Math.abs(v - (native[k].base.get(t) ?? 0)) > 1e-3)).length;
      assert.ok(changed >= 1, `${m.path}: no adapter changed the distribution`);
      assert.ok(new Set(native[k].text).size >= 2, `${m.path}: all four adapters gave the same text: ${native[k].text[0]}`);
    }
  });

  test("four concurrent queries on the pool each get exactly what they get alone", () => {
    for (const [k, m] of models.entries()) assert.deepEqual(native[k].concurrent, native[k].text, `${m.path}: cross-talk between concurrent adapters`);
  });

  test("no load per query: the pool holds at most one adapter per concurrent caller", () => {
    // 4 sequential + 4 sequential + 4 concurrent queries per model; LoadedModel keeps 4 contexts.
    for (const size of poolSizes) assert.ok(size >= 1 && size <= 4, `pool size ${size}`);
  });
});

describe("the native layer's checks", { skip }, () => {
  let runtime: LlamaRuntime;
  let model: LoadedModel;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    const config = defaultConfig(await ensureDefaultModels(tempDir("models")));
    model = await runtime.loadModel(config.router.model);
  });
  after(async () => {
    await runtime.dispose();
  });

  test("a model, context or adapter that does not match what the addon reads is reported", async () => {
    const native = runtime.native;
    assert.equal(native.status.path, "native");
    const context = await model.model.createContext({ contextSize: 256, sequences: 1, threads: 1 });
    try {
      const width = (model.model.fileInfo.architectureMetadata as { embedding_length: number }).embedding_length;
      assert.equal(native.selfTestModel(model.model, context, model.filePath, width), null);
      assert.match(native.selfTestModel(model.model, context, "/elsewhere.gguf", width) ?? "", /modelPath/);
      assert.match(native.selfTestModel(model.model, context, model.filePath, width + 1) ?? "", /llama_model_n_embd/);
      // Another model's context: the pointers do not match.
      const other = await runtime.loadModel(model.filePath, { pooling: "mean" });
      const otherContext = await other.model.createContext({ contextSize: 256, sequences: 1, threads: 1 });
      try {
        assert.match(native.selfTestModel(model.model, otherContext, model.filePath, width) ?? "", /does not point at the model's AddonModel/);
      } finally {
        await otherContext.dispose();
      }
      // Something that is not a node-llama-cpp object.
      assert.throws(() => native.addon!.writeLora({}, [], []), /not a wrapped native object/);
    } finally {
      await context.dispose();
    }
  });

  test("adapters of many shapes: the pool evicts the free ones of other shapes, and each still equals its file", async () => {
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const arch = (await readGgufFileInfo(model.filePath)).architectureMetadata as { embedding_length: number; block_count: number };
    const dir = tempDir("pool-shapes");
    for (let rank = 1; rank <= LORA_POOL_LIMIT + 4; rank++) {
      const rng = new Rng(100 + rank);
      const w = arch.embedding_length;
      const lora: LoraAdapter = { architecture: "llama", layers: [{ layer: arch.block_count - 1, inWidth: w, outWidth: w, rank, a: rng.fillNormal(new Float32Array(w * rank), 0.5), b: rng.fillNormal(new Float32Array(rank * w), 0.5) }] };
      const file = path.join(dir, `r${rank}.gguf`);
      await writeLoraAdapter(file, lora);
      const inPlace = await runtime.nextTokenProbabilities(model.filePath, PROMPTS[0], { lora, scale: 2 });
      const fromFile = await runtime.nextTokenProbabilities(model.filePath, PROMPTS[0], { path: file, scale: 2 });
      assert.equal(inPlace.size, fromFile.size);
      for (const [t, v] of inPlace) assert.equal(v, fromFile.get(t), `rank ${rank}, token ${t}`);
    }
    const size = (model as unknown as { pool: { size: number } | null }).pool?.size ?? -1;
    assert.ok(size >= 1 && size <= LORA_POOL_LIMIT, `pool size ${size}`);
  });

  test("HAPS_NATIVE=off and a missing binary give the TypeScript path, with the reason", () => {
    assert.equal(NativeLayer.start({ env: { HAPS_NATIVE: "off" } }).status.path, "typescript");
    const missing = NativeLayer.start({ env: { HAPS_NATIVE_ADDON: "/nonexistent/haps-native.node" } });
    assert.equal(missing.status.path, "typescript");
    assert.match(missing.status.detail, /no native binary/);
  });
});
