// Per-query LoRA injection on a model that stays loaded: real llama.cpp inference, real adapter files.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { gguf } from "@huggingface/gguf";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { writeLoraAdapter } from "../../../src/core/adapters/writeLoraAdapter.ts";
import type { LoraAdapter, LoraLayer } from "../../../src/core/adapters/types.ts";
import { maxProbabilityDifference, skipWithoutSharedModels, stories260K, tempDir } from "./helpers.ts";

// stories260K: a real trained llama, n_embd 64, 5 layers; o_proj is 64 -> 64.
const WIDTH = 64;
const LAYERS = 5;
const PROMPT = "Once upon a time, there was a little";

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function layer(index: number, rank: number, scale: number, seed: number): LoraLayer {
  const rnd = seededRandom(seed);
  const a = new Float32Array(WIDTH * rank).map(() => rnd() * scale);
  const b = new Float32Array(rank * WIDTH).map(() => rnd() * scale);
  return { layer: index, inWidth: WIDTH, outWidth: WIDTH, rank, a, b };
}

function zeroLayer(index: number, rank: number): LoraLayer {
  return { layer: index, inWidth: WIDTH, outWidth: WIDTH, rank, a: new Float32Array(WIDTH * rank), b: new Float32Array(rank * WIDTH) };
}

describe("per-query LoRA adapters", { skip: skipWithoutSharedModels }, () => {
  let runtime: LlamaRuntime;
  let dir: string;
  let base: Map<number, number>;
  const write = async (name: string, layers: LoraLayer[]) => {
    const file = path.join(dir, `${name}.gguf`);
    const adapter: LoraAdapter = { architecture: "llama", layers };
    await writeLoraAdapter(file, adapter);
    return file;
  };

  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    dir = tempDir("lora");
    base = await runtime.nextTokenProbabilities(stories260K, PROMPT);
  });
  after(async () => {
    await runtime.dispose();
  });

  test("an all-zero adapter gives the base model's next-token probabilities", async () => {
    const file = await write("zero", [zeroLayer(LAYERS - 1, 8)]);
    const withZero = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: file });
    assert.ok(maxProbabilityDifference(base, withZero) <= 1e-6, `difference ${maxProbabilityDifference(base, withZero)}`);
  });

  test("a non-zero adapter on the last o_proj changes them, and detaching restores them exactly", async () => {
    const file = await write("last", [layer(LAYERS - 1, 8, 1.5, 7)]);
    const withAdapter = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: file });
    assert.ok(maxProbabilityDifference(base, withAdapter) > 1e-3, "the adapter had no visible effect");
    const after = await runtime.nextTokenProbabilities(stories260K, PROMPT);
    assert.equal(maxProbabilityDifference(base, after), 0);
  });

  for (const k of [1, 2, 4]) {
    test(`an adapter on the last ${k} layer(s) is applied to exactly those layers`, async () => {
      const indices = Array.from({ length: k }, (_, i) => LAYERS - k + i);
      const file = await write(`last${k}`, indices.map((i) => layer(i, 8, 1.5, 100 + i)));
      // Through the file: a third-party reader sees exactly these layers' o_proj tensors.
      const parsed = await gguf(file, { allowLocalFile: true });
      const names = parsed.tensorInfos.map((t) => t.name).sort();
      const expected = indices.flatMap((i) => [`blk.${i}.attn_output.weight.lora_a`, `blk.${i}.attn_output.weight.lora_b`]).sort();
      assert.deepEqual(names, expected);
      // Through the effect: each layer's weights act on that layer. A file whose only non-zero layer is i behaves
      // like a file holding layer i alone, and differs from the base model.
      const whole = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: file });
      assert.ok(maxProbabilityDifference(base, whole) > 1e-3);
      for (const i of indices) {
        const only = await write(`last${k}-only${i}`, indices.map((j) => (j === i ? layer(j, 8, 1.5, 100 + j) : zeroLayer(j, 8))));
        const alone = await write(`alone${i}`, [layer(i, 8, 1.5, 100 + i)]);
        const pOnly = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: only });
        const pAlone = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: alone });
        assert.ok(maxProbabilityDifference(pOnly, pAlone) <= 1e-6, `layer ${i}: ${maxProbabilityDifference(pOnly, pAlone)}`);
        assert.ok(maxProbabilityDifference(base, pAlone) > 1e-4, `layer ${i} had no effect`);
      }
    });
  }

  test("two concurrent queries with different adapters never see each other's adapter", async () => {
    const fileA = await write("concurrentA", [layer(LAYERS - 1, 8, 1.5, 11)]);
    const fileB = await write("concurrentB", [layer(LAYERS - 1, 8, 1.5, 12)]);
    const soloA = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: fileA });
    const soloB = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: fileB });
    assert.ok(maxProbabilityDifference(soloA, soloB) > 1e-3);
    for (let round = 0; round < 5; round++) {
      const [a, b, plain] = await Promise.all([
        runtime.nextTokenProbabilities(stories260K, PROMPT, { path: fileA }),
        runtime.nextTokenProbabilities(stories260K, PROMPT, { path: fileB }),
        runtime.nextTokenProbabilities(stories260K, PROMPT),
      ]);
      assert.ok(maxProbabilityDifference(a, soloA) <= 1e-6);
      assert.ok(maxProbabilityDifference(b, soloB) <= 1e-6);
      assert.ok(maxProbabilityDifference(plain, base) <= 1e-6);
    }
  });

  test("generation streams text with an adapter attached for that query only", async () => {
    const file = await write("gen", [layer(LAYERS - 1, 8, 3, 21)]);
    const chunks: string[] = [];
    const plain = await runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 24 });
    const adapted = await runtime.generate(
      { modelPath: stories260K, prompt: "Once upon a time", maxTokens: 24, adapter: { path: file } },
      { onText: (t) => chunks.push(t) },
    );
    const again = await runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 24 });
    assert.equal(chunks.join(""), adapted.text);
    assert.notEqual(adapted.text, plain.text);
    assert.equal(again.text, plain.text);
    assert.equal(adapted.outputTokens > 0 && adapted.promptTokens > 0, true);
  });

  test("a wrong-shape adapter fails with the model, tensor and both shapes, and the next query still works", async () => {
    const wide: LoraLayer = { layer: LAYERS - 1, inWidth: 128, outWidth: 128, rank: 4, a: new Float32Array(128 * 4), b: new Float32Array(4 * 128) };
    const file = await write("wrong-shape", [wide]);
    await assert.rejects(runtime.nextTokenProbabilities(stories260K, PROMPT, { path: file }), (error: Error) => {
      assert.match(error.message, /stories260K/);
      assert.match(error.message, /blk\.4\.attn_output\.weight\.lora_a/);
      assert.match(error.message, /\[128, 4\]/);
      assert.match(error.message, /\[64, 4\]/);
      return true;
    });
    const next = await runtime.nextTokenProbabilities(stories260K, PROMPT);
    assert.equal(maxProbabilityDifference(base, next), 0);
  });

  test("a generated adapter in memory acts exactly like the same adapter written to a file", async () => {
    const layers = [layer(LAYERS - 1, 8, 1.5, 41)];
    const file = await write("same", layers);
    const fromFile = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: file });
    const fromMemory = await runtime.nextTokenProbabilities(stories260K, PROMPT, { lora: { architecture: "llama", layers } });
    assert.equal(maxProbabilityDifference(fromFile, fromMemory), 0);
    const wide: LoraLayer = { layer: LAYERS - 1, inWidth: 64, outWidth: 32, rank: 4, a: new Float32Array(64 * 4), b: new Float32Array(4 * 32) };
    await assert.rejects(
      runtime.nextTokenProbabilities(stories260K, PROMPT, { lora: { architecture: "llama", layers: [wide] } }),
      /\(generated\) does not fit model "stories260K": tensor "blk\.4\.attn_output\.weight\.lora_b" has shape \[4, 32\], expected \[4, 64\]/,
    );
  });

  test("a truncated adapter and an adapter for another architecture are refused clearly", async () => {
    const good = await write("good", [layer(LAYERS - 1, 8, 1, 31)]);
    const truncated = path.join(dir, "truncated.gguf");
    const bytes = readFileSync(good);
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(runtime.nextTokenProbabilities(stories260K, PROMPT, { path: truncated }), /truncated/);
    const otherArch = path.join(dir, "other-arch.gguf");
    await writeLoraAdapter(otherArch, { architecture: "gpt2", layers: [layer(LAYERS - 1, 8, 1, 31)] });
    await assert.rejects(runtime.nextTokenProbabilities(stories260K, PROMPT, { path: otherArch }), /architecture "gpt2".*"llama"/);
    const next = await runtime.nextTokenProbabilities(stories260K, PROMPT, { path: good });
    assert.ok(maxProbabilityDifference(base, next) > 1e-4);
  });
});
