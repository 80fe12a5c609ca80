// The layer-input feature (real llama.cpp through the native layer): the input of a chosen layer, pooled over the
// routing prompt, read from a plain router context whose KV cache keeps the prompt's fixed prefix.
// - Layer 0's input is the token embeddings: checked against the rows of token_embd read from the GGUF file itself.
// - At every layer, the prefix-cached feature equals the same layer's input from one decode of the whole prompt.
// - The zero-shot decisions read on that sequence equal those of the output-feature path, and a later query decodes
//   only its own tokens and the JSON.
// - What llama.cpp would abort on (a layer it does not run) is refused with a clear error, and without the native
//   layer the layer-input feature is refused while the output feature still works.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { open, writeFile } from "node:fs/promises";
import path from "node:path";
import { gguf } from "@huggingface/gguf";
import type { Token } from "node-llama-cpp";
import { saveCheckpoint } from "../../../src/core/checkpoint/checkpoint.ts";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import { hapsConfigSchema, type HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import { GgufWriter } from "../../../src/core/gguf/GgufWriter.ts";
import type { GgufValue } from "../../../src/core/gguf/types.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { DEFAULT_MODEL_SPECS, ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { findNativeBinary } from "../../../src/core/native/nativeLayer.ts";
import { buildRoutingPrompt } from "../../../src/core/router/RoutingPrompt.ts";
import { ZeroShotRouter } from "../../../src/core/router/ZeroShotRouter.ts";
import { LayerInputUnavailableError, LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { haveSharedModels, stories260K, tempDir } from "./helpers.ts";

const skip = process.platform !== "linux" ? "the native layer is built on Linux only" : findNativeBinary() == null ? "no native binary: run npm run build" : false;
const QUESTIONS = ["Which river flows through Paris?", "Who wrote the book about the white whale?", "Is the sky blue?"];

/** token_embd.weight of an F32 GGUF file, as rows of the model's width. */
async function tokenEmbeddings(file: string): Promise<{ width: number; row: (token: number) => Float32Array }> {
  const parsed = await gguf(file, { allowLocalFile: true });
  const info = parsed.tensorInfos.find((t) => t.name === "token_embd.weight")!;
  assert.equal(info.dtype, 0, `${file}: token_embd is F32`);
  const [width, vocab] = info.shape.map(Number);
  const bytes = Buffer.alloc(width * vocab * 4);
  const handle = await open(file, "r");
  try {
    await handle.read(bytes, 0, bytes.length, Number(parsed.tensorDataOffset) + Number(info.offset));
  } finally {
    await handle.close();
  }
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, width * vocab);
  return { width, row: (token) => all.subarray(token * width, (token + 1) * width) };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function scaleOf(a: ArrayLike<number>): number {
  return Math.max(...Array.from(a, Math.abs));
}

describe("the layer-input router feature (native layer)", { skip }, () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  let models: { path: string; layers: number }[];
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    assert.equal(runtime.native.status.path, "native", runtime.native.status.detail);
    // The start-up check found the capture's functions in the loaded libllama, and says so in the log line.
    assert.match(runtime.native.status.detail, /malloc_trim, layer-input capture \(/);
    config = defaultConfig(await ensureDefaultModels(tempDir("models")));
    models = [{ path: config.router.model, layers: 4 }, ...(haveSharedModels ? [{ path: stories260K, layers: 5 }] : [])];
  });
  after(async () => {
    await runtime.dispose();
  });
  const prompt = (question: string) => buildRoutingPrompt(config.agents, config.tasks["search-qa"], { question }, config.candidates);

  test("layer 0's input is the prompt's token embeddings, read from the file (mean and last pooling, prefix cached)", async () => {
    for (const m of models) {
      const embeddings = await tokenEmbeddings(m.path);
      const model = (await runtime.loadModel(m.path, { pooling: "mean" })).model;
      for (const pooling of ["mean", "last"] as const) {
        for (const question of QUESTIONS) {
          // The last question with a prefix twice as long (over 700 tokens decoded at once; node-llama-cpp makes the
          // micro-batch the whole batch, so it is one micro-batch).
          const base = prompt(question);
          const p = question === QUESTIONS.at(-1) ? { ...base, prefix: base.prefix + base.prefix } : base;
          const feature = await runtime.routingFeature(m.path, p.prefix, p.problem, pooling, 0);
          const tokens = runtime.tokenizeWithBos(model, p.prefix + p.problem);
          const expected = new Float64Array(embeddings.width);
          const rows = pooling === "last" ? [tokens.at(-1)!] : tokens;
          for (const t of rows) embeddings.row(t).forEach((v, k) => (expected[k] += v / rows.length));
          const diff = maxDiff(feature, expected);
          assert.ok(diff <= 1e-6 * scaleOf(expected), `${m.path} ${pooling} "${question}": |diff| ${diff} against scale ${scaleOf(expected)}`);
        }
      }
    }
  });

  test("at every layer, the prefix-cached feature equals that layer's input from one decode of the whole prompt", async () => {
    for (const m of models) {
      const loaded = await runtime.loadModel(m.path, { pooling: "mean" });
      const width = (loaded.model.fileInfo.architectureMetadata as { embedding_length: number }).embedding_length;
      // The reference: a fresh plain context, the whole prompt decoded as one batch, every layer captured.
      const context = await loaded.model.createContext({ threads: 1, contextSize: 1024, batchSize: 1024, sequences: 1 });
      const readers = Array.from({ length: m.layers }, (_, layer) => runtime.native.layerInputReader(loaded.model, context, loaded.filePath, width, layer));
      try {
        const sequence = context.getSequence();
        const byLayer: number[][] = [];
        for (let layer = 0; layer < m.layers; layer++) {
          const reader = readers[layer];
          assert.ok(typeof reader !== "string", `layer ${layer}: ${String(reader)}`);
          assert.equal(reader.layers, m.layers);
          assert.equal(reader.architecture, "llama");
          for (const pooling of ["mean", "last"] as const) {
            for (const question of QUESTIONS) {
              const p = prompt(question);
              const cached = await runtime.routingFeature(m.path, p.prefix, p.problem, pooling, layer);
              const tokens: Token[] = runtime.tokenizeWithBos(loaded.model, p.prefix + p.problem);
              await sequence.clearHistory();
              await sequence.controlledEvaluate(tokens);
              const whole = reader.read(tokens.length, pooling);
              const scale = scaleOf(whole);
              const diff = maxDiff(cached, whole);
              // Float32 attention in batches of other shapes (the prefix, then the query, against one batch).
              assert.ok(diff <= 1e-4 * scale, `${m.path} layer ${layer} ${pooling} "${question}": |diff| ${diff} against scale ${scale}`);
              if (pooling === "mean" && question === QUESTIONS[0]) byLayer.push(cached);
            }
          }
        }
        // Each layer's input is its own: the feature is not one vector read whatever the layer asked.
        for (let a = 1; a < byLayer.length; a++) assert.ok(maxDiff(byLayer[a], byLayer[a - 1]) > 1e-3 * scaleOf(byLayer[a]), `${m.path}: layers ${a - 1} and ${a} give the same feature`);
      } finally {
        for (const r of readers) if (typeof r !== "string") r.forget();
        await context.dispose();
      }
    }
  });

  test("zero-shot decisions on the layer-input sequence equal the output-feature path's, and a later query decodes only its own part", async () => {
    const ids = config.agents.map((a) => a.id);
    const layer = 3;
    const onLayer = new ZeroShotRouter(runtime, config.router.model, "mean", layer);
    const onOutput = new ZeroShotRouter(runtime, config.router.model, "mean");
    const sequences = (runtime as unknown as { routingSequences: Map<string, Promise<{ evaluatedTokens: number; layer?: number }>> }).routingSequences;
    const layerSequence = async () => {
      for (const s of sequences.values()) if ((await s).layer === layer) return await s;
      throw new Error("no layer-input sequence");
    };
    const model = (await runtime.loadModel(config.router.model, { pooling: "mean" })).model;
    let before = 0;
    for (const [k, question] of QUESTIONS.entries()) {
      const p = prompt(question);
      const a = await onLayer.routeWithFeature(p, ids, config.candidates, 0.2);
      const b = await onOutput.routeWithFeature(p, ids, config.candidates, 0.2);
      assert.deepEqual(a.assignment.choice, b.assignment.choice);
      for (const agent of ids) {
        for (const c of config.candidates) {
          const x = a.assignment.probabilities[agent][c.id];
          const y = b.assignment.probabilities[agent][c.id];
          assert.ok(Math.abs(x - y) <= 1e-4, `${agent}/${c.id}: ${x} vs ${y}`);
        }
      }
      // The feature is the layer's, not the output's.
      assert.deepEqual(Array.from(a.feature), Array.from(Float32Array.from(await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean", layer))));
      const s = await layerSequence();
      const evaluated = s.evaluatedTokens - before;
      // routingFeature just now decoded the query's part again: count from here.
      before = s.evaluatedTokens;
      const whole = runtime.tokenizeWithBos(model, `${p.prefix}${p.problem}\nJSON: ${a.assignment.rawAnswer}`).length;
      const own = runtime.tokenizeWithBos(model, `${p.problem}\nJSON: ${a.assignment.rawAnswer}`).length;
      const tails = config.candidates.reduce((n, c) => n + model.tokenize(`${c.id}"`).length, 0) * ids.length;
      if (k > 0) assert.ok(evaluated <= own + tails && evaluated < whole / 2, `query ${k} decoded ${evaluated} tokens; its own part and JSON have ${own}, the choices' tails ${tails}, the whole ${whole}`);
    }
  });

  test("a layer the model does not run is refused before llama.cpp sees it, and the process goes on", async () => {
    const p = prompt(QUESTIONS[0]);
    for (const layer of [4, 64]) {
      await assert.rejects(
        runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean", layer),
        (error: Error) => error instanceof LayerInputUnavailableError && /layer \d+ is out of range \(the model has layers 0\.\.3\)/.test(error.message) && /router\.feature "output"/.test(error.message),
      );
    }
    assert.equal(await runtime.layerInputProblem(config.router.model, "mean", 3), null);
    assert.match((await runtime.layerInputProblem(config.router.model, "mean", 4))!, /out of range/);
    // Still serving: the same runtime reads both kinds afterwards.
    assert.equal((await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean", 2)).length, 64);
    assert.equal((await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean")).length, 64);
    // A configuration asking for a layer the router does not have is refused when the pipeline is built.
    await assert.rejects(HapsPipeline.create(runtime, { ...config, router: { ...config.router, feature: { layerInput: 4 } } }), /router\.feature\.layerInput is 4, but the router model has layers 0\.\.3/);
  });

  test("an architecture whose graph does not record layer inputs (qwen2) is refused before llama.cpp sees it", async () => {
    // The embedded router's weights under the qwen2 architecture (its q/k/v biases are optional in llama.cpp).
    const llama = buildTinyLlama(DEFAULT_MODEL_SPECS.router) as unknown as { kvs: Map<string, { value: GgufValue }>; tensors: Map<string, { name: string; dims: number[]; data: Float32Array }> };
    const qwen2 = new GgufWriter();
    for (const [key, { value }] of llama.kvs) {
      if (key === "general.architecture") qwen2.setKv(key, { type: "string", value: "qwen2" });
      else qwen2.setKv(key.startsWith("llama.") ? `qwen2.${key.slice("llama.".length)}` : key, value);
    }
    for (const t of llama.tensors.values()) qwen2.addTensor(t);
    const file = path.join(tempDir("qwen2"), "qwen2-64x4.gguf");
    await writeFile(file, qwen2.toBytes());
    const p = prompt(QUESTIONS[0]);
    await assert.rejects(
      runtime.routingFeature(file, p.prefix, p.problem, "mean", 0),
      (error: Error) => error instanceof LayerInputUnavailableError && /architecture "qwen2" does not record layer inputs/.test(error.message),
    );
    // The process lives on, and the model itself works: its output feature is read.
    assert.equal((await runtime.routingFeature(file, p.prefix, p.problem, "mean")).length, 64);
  });

  test("a pipeline reads the feature its checkpoint was trained on, and refuses a checkpoint of the other kind", async () => {
    const dir = tempDir("layer-ckpt");
    const onLayer = { ...config, router: { ...config.router, feature: { layerInput: 2 } as const } };
    const fresh = await HapsPipeline.create(runtime, onLayer);
    assert.deepEqual(fresh.policy.config.feature, { source: "layer-input", layer: 2 });
    await saveCheckpoint(fresh.policy, path.join(dir, "layer"));
    const onOutput = { ...config, router: { ...config.router, feature: "output" as const } };
    await saveCheckpoint((await HapsPipeline.create(runtime, onOutput)).policy, path.join(dir, "output"));
    // Same kind: loads, and the prepared feature is layer 2's input.
    const trained = await HapsPipeline.create(runtime, { ...onLayer, router: { ...onLayer.router, mode: "trained", checkpoint: path.join(dir, "layer") } });
    const request = { question: QUESTIONS[0] };
    const prepared = await trained.prepare(request);
    const p = prompt(QUESTIONS[0]);
    assert.equal(prepared.routing.prefix + prepared.routing.problem, p.prefix + p.problem);
    assert.deepEqual(Array.from(prepared.feature), Array.from(Float32Array.from(await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean", 2))));
    // The other kind, either way round: refused, naming both kinds.
    await assert.rejects(HapsPipeline.create(runtime, { ...onLayer, router: { ...onLayer.router, checkpoint: path.join(dir, "output") } }), /router feature is output .* in the checkpoint, layer-input 2 .* in the configuration/);
    await assert.rejects(HapsPipeline.create(runtime, { ...onOutput, router: { ...onOutput.router, checkpoint: path.join(dir, "layer") } }), /router feature is layer-input 2 .* in the checkpoint, output .* in the configuration/);
    // "auto" reads whichever feature the checkpoint was trained on.
    for (const [name, kind] of [["layer", { source: "layer-input", layer: 2 }], ["output", { source: "output" }]] as const) {
      const auto = await HapsPipeline.create(runtime, { ...config, router: { ...config.router, feature: "auto", mode: "trained", checkpoint: path.join(dir, name) } });
      assert.deepEqual(auto.feature.kind, kind);
      assert.match(auto.feature.reason, new RegExp(`checkpoint .*${name} was trained on the ${kind.source}`));
      const got = await auto.prepare(request);
      assert.deepEqual(Array.from(got.feature), Array.from(Float32Array.from(await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean", kind.source === "output" ? undefined : 2))));
    }
  });

  test('router.feature "auto" without a checkpoint reads the last layer\'s input here, and a fresh checkpoint records it', async () => {
    assert.equal(hapsConfigSchema.parse({ ...config, router: { model: config.router.model } }).router.feature, "auto", "the default");
    const pipeline = await HapsPipeline.create(runtime, { ...config, router: { ...config.router, feature: "auto" } });
    assert.deepEqual(pipeline.feature.kind, { source: "layer-input", layer: 3 });
    assert.match(pipeline.feature.reason, /the last layer's input \(layer 3\)/);
    const dir = tempDir("auto-ckpt");
    const manifest = await saveCheckpoint(pipeline.policy, dir);
    assert.deepEqual(manifest.feature, { source: "layer-input", layer: 3 });
  });

  test("without the native layer the layer-input feature is refused with the reason, and the output feature is unchanged", async () => {
    const plain = await LlamaRuntime.create({ gpu: false, threads: 1, native: false });
    try {
      assert.equal(plain.native.status.path, "typescript");
      const p = prompt(QUESTIONS[1]);
      await assert.rejects(
        plain.routingFeature(config.router.model, p.prefix, p.problem, "mean", 2),
        (error: Error) => error instanceof LayerInputUnavailableError && /native layer is off \(native layer disabled by the runtime options/.test(error.message),
      );
      await assert.rejects(
        HapsPipeline.create(plain, { ...config, router: { ...config.router, feature: { layerInput: 2 } } }),
        /router\.feature \{"layerInput": 2\} cannot be read here: the native layer is off .*Use router\.feature "output"/,
      );
      // "auto" falls back to the output feature and says why; a checkpoint trained on a layer input is refused with
      // the way out, and one trained on the output still loads.
      const auto = await HapsPipeline.create(plain, { ...config, router: { ...config.router, feature: "auto" } });
      assert.deepEqual(auto.feature.kind, { source: "output" });
      assert.match(auto.feature.reason, /the output feature, since the last layer's input cannot be read here \(the native layer is off/);
      const dir = tempDir("plain-ckpt");
      await saveCheckpoint((await HapsPipeline.create(runtime, { ...config, router: { ...config.router, feature: { layerInput: 3 } } })).policy, path.join(dir, "layer"));
      await saveCheckpoint(auto.policy, path.join(dir, "output"));
      await assert.rejects(
        HapsPipeline.create(plain, { ...config, router: { ...config.router, feature: "auto", mode: "trained", checkpoint: path.join(dir, "layer") } }),
        /the checkpoint .*layer was trained on the input of layer 3 of the router, which cannot be read here: the native layer is off .*train again with router\.feature "output"/,
      );
      const loaded = await HapsPipeline.create(plain, { ...config, router: { ...config.router, feature: "auto", mode: "trained", checkpoint: path.join(dir, "output") } });
      assert.deepEqual(loaded.feature.kind, { source: "output" });
      const withoutAddon = await plain.routingFeature(config.router.model, p.prefix, p.problem, "mean");
      const withAddon = await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean");
      assert.ok(maxDiff(withoutAddon, withAddon) <= 1e-4 * scaleOf(withAddon), "the output feature is the same with and without the native layer");
    } finally {
      await plain.dispose();
    }
  });
});
