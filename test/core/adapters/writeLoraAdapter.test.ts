import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf, GGUFValueType } from "@huggingface/gguf";
import { getLlama, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { encodeLoraAdapter, writeLoraAdapter, writeLoraAdapterSync } from "../../../src/core/adapters/writeLoraAdapter.ts";
import type { LoraAdapter, LoraLayer } from "../../../src/core/adapters/types.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";

const D = 64;
const LAYERS = 4;
/**
 * How far llama.cpp may be from the float64 reference: its KV cache stores V in F16 (measured here: 1e-3 without
 * an adapter, 4e-4 with one), while a wrongly oriented or wrongly scaled adapter is off by 0.3.
 */
const TOLERANCE = 5e-3;
const dir = mkdtempSync(join(tmpdir(), "haps-lora-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function randomLayer(layer: number, rank: number, seed: number, std: number, inWidth = D, outWidth = D): LoraLayer {
  const rnd = new Rng(seed);
  return { layer, inWidth, outWidth, rank, a: rnd.fillNormal(new Float32Array(inWidth * rank), std), b: rnd.fillNormal(new Float32Array(rank * outWidth), std) };
}

async function parseFile(bytes: Uint8Array) {
  const path = join(dir, `parse-${Math.random().toString(36).slice(2)}.gguf`);
  writeFileSync(path, bytes);
  const parsed = await gguf(path, { allowLocalFile: true, typedMetadata: true });
  const tensor = (name: string) => {
    const info = parsed.tensorInfos.find((t) => t.name === name)!;
    const start = Number(parsed.tensorDataOffset + info.offset);
    const count = info.shape.reduce((p, d) => p * Number(d), 1);
    return { shape: info.shape.map(Number), dtype: info.dtype, data: new Float32Array(bytes.slice(start, start + 4 * count).buffer) };
  };
  return { parsed, tensor };
}

test("the adapter file has llama.cpp's keys and transposed factors with ggml shapes [in, r] and [r, out]", async () => {
  const l3 = randomLayer(3, 3, 1, 1, 6, 5);
  const l1 = randomLayer(1, 3, 2, 1, 6, 5);
  const { parsed, tensor } = await parseFile(encodeLoraAdapter({ architecture: "llama", layers: [l3, l1] }));
  const m = parsed.typedMetadata;
  assert.equal(m["general.architecture"]?.value, "llama");
  assert.equal(m["general.type"]?.value, "adapter");
  assert.equal(m["adapter.type"]?.value, "lora");
  assert.deepEqual(m["adapter.lora.alpha"], { value: 3, type: GGUFValueType.FLOAT32 }, "alpha defaults to the rank");
  assert.deepEqual(parsed.tensorInfos.map((t) => t.name), [
    "blk.1.attn_output.weight.lora_a",
    "blk.1.attn_output.weight.lora_b",
    "blk.3.attn_output.weight.lora_a",
    "blk.3.attn_output.weight.lora_b",
  ]);
  const a = tensor("blk.3.attn_output.weight.lora_a");
  const b = tensor("blk.3.attn_output.weight.lora_b");
  assert.deepEqual([a.shape, a.dtype, b.shape, b.dtype], [[6, 3], 0, [3, 5], 0]);
  // ggml [n0, n1] is n1 rows of n0: lora_a row j is column j of A, lora_b row k is column k of B.
  for (let i = 0; i < 6; i++) for (let j = 0; j < 3; j++) assert.equal(a.data[j * 6 + i], l3.a[i * 3 + j]);
  for (let j = 0; j < 3; j++) for (let k = 0; k < 5; k++) assert.equal(b.data[k * 3 + j], l3.b[j * 5 + k]);

  const withAlpha = await parseFile(encodeLoraAdapter({ architecture: "llama", alpha: 0.5, layers: [l1] }));
  assert.equal(withAlpha.parsed.typedMetadata["adapter.lora.alpha"]?.value, 0.5);
});

test("the async and sync writers write the encoded bytes, deterministically", async () => {
  const adapter: LoraAdapter = { architecture: "llama", layers: [randomLayer(2, 2, 9, 1)] };
  await writeLoraAdapter(join(dir, "async.gguf"), adapter);
  writeLoraAdapterSync(join(dir, "sync.gguf"), adapter);
  const expected = Buffer.from(encodeLoraAdapter(adapter));
  assert.deepEqual(readFileSync(join(dir, "async.gguf")), expected);
  assert.deepEqual(readFileSync(join(dir, "sync.gguf")), expected);
});

test("bad adapters are refused with the layer and field named", () => {
  const ok = randomLayer(3, 2, 1, 1);
  const enc = (adapter: Partial<LoraAdapter>) => () => encodeLoraAdapter({ architecture: "llama", layers: [ok], ...adapter } as LoraAdapter);
  assert.throws(enc({ architecture: "" }), /architecture must be a non-empty string/);
  assert.throws(enc({ layers: [] }), /layers must be a non-empty array/);
  assert.throws(enc({ layers: [{ ...ok, a: new Float32Array(5) }] }), /layers\[0\] \(blk\.3\): a must hold inWidth x rank = 64 x 2 = 128 values, got 5/);
  assert.throws(enc({ layers: [ok, { ...ok, layer: 1, b: new Float32Array(3) }] }), /layers\[1\] \(blk\.1\): b must hold rank x outWidth/);
  assert.throws(enc({ layers: [{ ...ok, rank: 0 }] }), /layers\[0\] \(blk\.3\): rank must be a positive integer, got 0/);
  assert.throws(enc({ layers: [{ ...ok, layer: -1 }] }), /layer must be a non-negative integer/);
  const nan = Float32Array.from(ok.b);
  nan[7] = NaN;
  assert.throws(enc({ layers: [{ ...ok, b: nan }] }), /layers\[0\] \(blk\.3\): b\[7\] is NaN/);
  assert.throws(enc({ layers: [ok, ok] }), /layer 3 appears twice/);
  assert.throws(enc({ layers: [ok, randomLayer(1, 4, 2, 1)] }), /different ranks \(2, 4\); set alpha explicitly/);
  assert.doesNotThrow(enc({ alpha: 2, layers: [ok, randomLayer(1, 4, 2, 1)] }));
  assert.throws(enc({ alpha: Infinity }), /alpha must be a finite number/);
});

/**
 * A model whose forward pass is easy to compute exactly: attn_q = attn_k = 0 (uniform causal attention),
 * attn_v = identity, ffn_down = 0 (no-op FFN), random embeddings, o_proj and output head.
 */
function referenceWeights(): { bytes: Uint8Array; weights: Map<string, Float32Array> } {
  const weights = new Map<string, Float32Array>();
  const writer = buildTinyLlama({
    name: "lora-reference",
    embeddingLength: D,
    blockCount: LAYERS,
    headCount: 4,
    feedForwardLength: 16,
    contextLength: 64,
    seed: 11,
    weights: (slot) => {
      let data: Float32Array;
      if (/attn_[qk]\.weight$|ffn_down\.weight$/.test(slot.name)) data = new Float32Array(slot.dims[0] * slot.dims[1]);
      else if (slot.name.endsWith("attn_v.weight")) {
        data = new Float32Array(D * D);
        for (let i = 0; i < D; i++) data[i * D + i] = 1;
      } else data = slot.random();
      weights.set(slot.name, data);
      return data;
    },
  });
  return { bytes: writer.toBytes(), weights };
}

type Delta = (layer: number, m: Float64Array) => Float64Array | undefined;

function rmsNorm(x: Float64Array): Float64Array {
  let s = 0;
  for (const v of x) s += v * v;
  const k = 1 / Math.sqrt(s / x.length + 1e-5);
  return x.map((v) => v * k);
}

/** Next-token probabilities of the reference model in float64, with an optional o_proj update per layer. */
function referenceProbabilities(weights: Map<string, Float32Array>, tokens: number[], delta: Delta): number[] {
  const embd = weights.get("token_embd.weight")!;
  let xs = tokens.map((t) => Float64Array.from(embd.subarray(t * D, (t + 1) * D)));
  for (let l = 0; l < LAYERS; l++) {
    const wo = weights.get(`blk.${l}.attn_output.weight`)!;
    const normed = xs.map(rmsNorm);
    const running = new Float64Array(D);
    xs = xs.map((x, p) => {
      normed[p].forEach((v, i) => (running[i] += v));
      const m = running.map((v) => v / (p + 1));
      const out = Float64Array.from(x);
      for (let k = 0; k < D; k++) for (let i = 0; i < D; i++) out[k] += wo[k * D + i] * m[i];
      const d = delta(l, m);
      if (d) d.forEach((v, k) => (out[k] += v));
      return out;
    });
  }
  const h = rmsNorm(xs[xs.length - 1]);
  const head = weights.get("output.weight")!;
  const vocab = head.length / D;
  const logits = Array.from({ length: vocab }, (_, t) => h.reduce((s, v, i) => s + v * head[t * D + i], 0));
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const sum = exps.reduce((s, v) => s + v, 0);
  return exps.map((v) => v / sum);
}

/** delta = factor * B^T (A^T m), the update our row-major A and B are meant to make. */
function loraDelta(layers: LoraLayer[], factor: number, transposed = false): Delta {
  return (l, m) => {
    const layer = layers.find((x) => x.layer === l);
    if (!layer) return undefined;
    const { rank: r, a, b } = layer;
    const t = new Float64Array(r);
    // `transposed` reads A and B as if the writer had copied them without transposing (what a wrong file would do).
    for (let j = 0; j < r; j++) for (let i = 0; i < D; i++) t[j] += (transposed ? a[j * D + i] : a[i * r + j]) * m[i];
    const out = new Float64Array(D);
    for (let k = 0; k < D; k++) for (let j = 0; j < r; j++) out[k] += (transposed ? b[k * r + j] : b[j * D + k]) * t[j] * factor;
    return out;
  };
}

function maxDiff(p: number[], q: Map<Token, number> | number[]): number {
  let worst = 0;
  p.forEach((v, t) => (worst = Math.max(worst, Math.abs(v - ((q instanceof Map ? q.get(t as Token) : q[t]) ?? 0)))));
  return worst;
}

describe("adapters in llama.cpp", () => {
  let llama: Llama;
  let model: LlamaModel;
  let weights: Map<string, Float32Array>;
  let tokens: Token[];
  const PROMPT = "the number of people who";

  before(async () => {
    const ref = referenceWeights();
    weights = ref.weights;
    writeFileSync(join(dir, "reference.gguf"), ref.bytes);
    llama = await getLlama({ gpu: false, maxThreads: 1 });
    model = await llama.loadModel({ modelPath: join(dir, "reference.gguf") });
    tokens = [model.tokens.bos!, ...model.tokenize(PROMPT)];
  });
  after(async () => {
    await model.dispose();
    await llama.dispose();
  });

  /** Full next-token distribution (temperature 1, no truncation) with an optional adapter attached. */
  async function probabilities(adapterPath?: string, scale = 1): Promise<Map<Token, number>> {
    const context = await model.createContext({
      threads: 1,
      contextSize: 64,
      failedCreationRemedy: false,
      lora: adapterPath ? { adapters: [{ filePath: adapterPath, scale }] } : undefined,
    });
    try {
      const seq = context.getSequence();
      const input = [...tokens.slice(0, -1), [tokens.at(-1)!, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }] as const];
      const out = await seq.controlledEvaluate(input as Parameters<typeof seq.controlledEvaluate>[0]);
      return out.at(-1)!.next.probabilities!;
    } finally {
      await context.dispose();
    }
  }

  test("without an adapter llama.cpp matches the float64 reference", async () => {
    const base = await probabilities();
    const diff = maxDiff(referenceProbabilities(weights, tokens.map(Number), () => undefined), base);
    assert.ok(diff < TOLERANCE, `max probability difference ${diff}`);
  });

  test("an all-zero adapter leaves the probabilities exactly as they were", async () => {
    const zero = (l: number): LoraLayer => ({ layer: l, inWidth: D, outWidth: D, rank: 4, a: new Float32Array(D * 4), b: new Float32Array(4 * D) });
    const path = join(dir, "zero.gguf");
    await writeLoraAdapter(path, { architecture: "llama", layers: [zero(2), zero(3)] });
    const base = await probabilities();
    const withZero = await probabilities(path);
    assert.equal(withZero.size, base.size);
    assert.equal(maxDiff(Array.from({ length: base.size }, (_, t) => base.get(t as Token) ?? 0), withZero), 0);
  });

  test("a rank-3 adapter on two layers changes the probabilities as scale * (alpha / r) * B^T A^T x predicts", async () => {
    const layers = [randomLayer(1, 3, 21, 0.5), randomLayer(3, 3, 22, 0.5)];
    const alpha = 1.5;
    const scale = 0.8;
    const path = join(dir, "rank3.gguf");
    await writeLoraAdapter(path, { architecture: "llama", alpha, layers });
    const got = await probabilities(path, scale);
    const ids = tokens.map(Number);
    const base = referenceProbabilities(weights, ids, () => undefined);
    const expected = referenceProbabilities(weights, ids, loraDelta(layers, (scale * alpha) / 3));
    const wrongOrientation = referenceProbabilities(weights, ids, loraDelta(layers, (scale * alpha) / 3, true));
    const withoutAlpha = referenceProbabilities(weights, ids, loraDelta(layers, scale));
    const error = maxDiff(expected, got);
    assert.ok(maxDiff(base, got) > 0.05, `the adapter moved probabilities by only ${maxDiff(base, got)}`);
    assert.ok(error < TOLERANCE, `max difference from the prediction ${error}`);
    // The check can tell a wrong file from a right one.
    assert.ok(maxDiff(wrongOrientation, got) > 10 * error, `untransposed factors would match too: ${maxDiff(wrongOrientation, got)}`);
    assert.ok(maxDiff(withoutAlpha, got) > 10 * error, `ignoring alpha / r would match too: ${maxDiff(withoutAlpha, got)}`);
  });

  test("llama.cpp refuses an adapter whose widths do not fit the model", async () => {
    const path = join(dir, "wide.gguf");
    await writeLoraAdapter(path, { architecture: "llama", layers: [randomLayer(3, 2, 5, 0.1, 2 * D, 2 * D)] });
    await assert.rejects(probabilities(path), /Failed to initialize LoRA adapter/);
  });
});
