// The PEFT export: the folder's structure as PEFT and vLLM read it (config fields, tensor names and shapes), values
// that round-trip exactly, and the same weight update as the llama.cpp GGUF of the same adapter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gguf } from "@huggingface/gguf";
import { exportAdapter, GGUF_ADAPTER_FILE } from "../../../src/core/adapters/exportAdapter.ts";
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, peftTensorName, readPeftAdapter, writePeftAdapter } from "../../../src/core/adapters/peftAdapter.ts";
import type { LoraAdapter, LoraLayer } from "../../../src/core/adapters/types.ts";
import { decodeSafetensors } from "../../../src/core/checkpoint/safetensors.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { tempDir } from "../runtime/helpers.ts";

const IN = 24;
const OUT = 20;
const RANK = 4;

function layer(index: number, seed: number): LoraLayer {
  const rng = new Rng(seed);
  return { layer: index, inWidth: IN, outWidth: OUT, rank: RANK, a: rng.fillNormal(new Float32Array(IN * RANK), 1), b: rng.fillNormal(new Float32Array(RANK * OUT), 1) };
}

const adapter: LoraAdapter = { architecture: "llama", alpha: 8, layers: [layer(5, 1), layer(2, 2)] };

/** Our update of one layer, in PEFT's orientation [out][in]: scale * (alpha / r) * B^T A^T. */
function expectedUpdate(l: LoraLayer, alpha: number, scale: number): Float64Array {
  const delta = new Float64Array(OUT * IN);
  for (let k = 0; k < OUT; k++)
    for (let i = 0; i < IN; i++) {
      let sum = 0;
      for (let j = 0; j < RANK; j++) sum += l.b[j * OUT + k] * l.a[i * RANK + j];
      delta[k * IN + i] = scale * (alpha / RANK) * sum;
    }
  return delta;
}

/** (alpha / r) * lora_B @ lora_A from row-major [out, r] and [r, in] tensors. */
function updateFrom(loraA: Float32Array, loraB: Float32Array, alpha: number): Float64Array {
  const delta = new Float64Array(OUT * IN);
  for (let k = 0; k < OUT; k++)
    for (let i = 0; i < IN; i++) {
      let sum = 0;
      for (let j = 0; j < RANK; j++) sum += loraB[k * RANK + j] * loraA[j * IN + i];
      delta[k * IN + i] = (alpha / RANK) * sum;
    }
  return delta;
}

function maxDifference(x: Float64Array, y: Float64Array): number {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

test("the PEFT folder: adapter_config.json as PEFT and vLLM read it, tensors named and shaped as PEFT names them for llama", async () => {
  const dir = path.join(tempDir("peft"), "adapter");
  await writePeftAdapter(dir, adapter, { baseModel: "meta-llama/Llama-3.2-1B-Instruct", scale: 2 });
  const config = JSON.parse(readFileSync(path.join(dir, PEFT_CONFIG_FILE), "utf8"));
  assert.equal(config.peft_type, "LORA");
  assert.equal(config.task_type, "CAUSAL_LM");
  assert.equal(config.base_model_name_or_path, "meta-llama/Llama-3.2-1B-Instruct");
  assert.equal(config.r, RANK);
  assert.equal(config.lora_alpha, 16, "alpha 8 x scale 2");
  assert.deepEqual(config.target_modules, ["o_proj"]);
  assert.deepEqual(config.layers_to_transform, [2, 5]);
  assert.equal(config.bias, "none");
  assert.equal(config.use_dora, false);
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, PEFT_WEIGHTS_FILE))));
  assert.deepEqual([...tensors.keys()].sort(), [
    "base_model.model.model.layers.2.self_attn.o_proj.lora_A.weight",
    "base_model.model.model.layers.2.self_attn.o_proj.lora_B.weight",
    "base_model.model.model.layers.5.self_attn.o_proj.lora_A.weight",
    "base_model.model.model.layers.5.self_attn.o_proj.lora_B.weight",
  ]);
  assert.equal(metadata.format, "pt");
  for (const l of adapter.layers) {
    const A = tensors.get(peftTensorName(l.layer, "A"))!;
    const B = tensors.get(peftTensorName(l.layer, "B"))!;
    assert.deepEqual(A.shape, [RANK, IN], "lora_A is [r, in]");
    assert.deepEqual(B.shape, [OUT, RANK], "lora_B is [out, r]");
    // lora_A = A^T, lora_B = B^T, value by value.
    for (let i = 0; i < IN; i++) for (let j = 0; j < RANK; j++) assert.equal(A.data[j * IN + i], l.a[i * RANK + j]);
    for (let j = 0; j < RANK; j++) for (let k = 0; k < OUT; k++) assert.equal(B.data[k * RANK + j], l.b[j * OUT + k]);
    // PEFT's update (lora_alpha / r) B A is ours, scale included.
    assert.ok(maxDifference(updateFrom(A.data, B.data, config.lora_alpha), expectedUpdate(l, 8, 2)) < 1e-5);
  }
});

test("values round-trip exactly through the PEFT files", async () => {
  const dir = path.join(tempDir("peft"), "adapter");
  await writePeftAdapter(dir, adapter, { baseModel: "base" });
  const read = await readPeftAdapter(dir);
  assert.equal(read.baseModel, "base");
  assert.equal(read.adapter.architecture, "llama");
  assert.equal(read.adapter.alpha, 8);
  assert.deepEqual(read.adapter.layers.map((l) => l.layer), [2, 5]);
  for (const original of adapter.layers) {
    const back = read.adapter.layers.find((l) => l.layer === original.layer)!;
    assert.deepEqual([back.inWidth, back.outWidth, back.rank], [IN, OUT, RANK]);
    assert.deepEqual(back.a, original.a);
    assert.deepEqual(back.b, original.b);
  }
});

test("export-adapter's files: PEFT and GGUF of one adapter give the same update, the scale folded into alpha in both", async () => {
  const dir = path.join(tempDir("export"), "candidate");
  const exported = await exportAdapter(dir, adapter, { baseModel: "base", scale: 3 });
  assert.deepEqual(exported.files.map((f) => path.basename(f)), [PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE, GGUF_ADAPTER_FILE]);
  assert.equal(exported.alpha, 24);
  assert.deepEqual(exported.layers, [2, 5]);
  const bytes = readFileSync(path.join(dir, GGUF_ADAPTER_FILE));
  const parsed = await gguf(path.join(dir, GGUF_ADAPTER_FILE), { allowLocalFile: true });
  assert.equal((parsed.metadata as Record<string, unknown>)["adapter.lora.alpha"], 24);
  const ggufTensor = (name: string) => {
    const info = parsed.tensorInfos.find((t) => t.name === name)!;
    const start = Number(parsed.tensorDataOffset + info.offset);
    const count = info.shape.reduce((p, d) => p * Number(d), 1);
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + 4 * count));
  };
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(path.join(dir, PEFT_WEIGHTS_FILE))));
  for (const l of adapter.layers) {
    // ggml's lora_a [in, r] is r rows of `in` values: the same bytes as PEFT's [r, in]; likewise lora_b.
    const fromGguf = updateFrom(ggufTensor(`blk.${l.layer}.attn_output.weight.lora_a`), ggufTensor(`blk.${l.layer}.attn_output.weight.lora_b`), 24);
    const fromPeft = updateFrom(tensors.get(peftTensorName(l.layer, "A"))!.data, tensors.get(peftTensorName(l.layer, "B"))!.data, 24);
    assert.ok(maxDifference(fromGguf, fromPeft) < 1e-6);
    assert.ok(maxDifference(fromPeft, expectedUpdate(l, 8, 3)) < 1e-5);
  }
});

test("refusals name what is wrong: mixed ranks, a missing tensor, another target module, a foreign tensor", async () => {
  await assert.rejects(writePeftAdapter(tempDir("peft"), { architecture: "llama", layers: [layer(0, 1), { ...layer(1, 2), rank: 2, a: new Float32Array(IN * 2), b: new Float32Array(2 * OUT) }] }, { baseModel: "b" }), /different ranks \(4, 2\)/);
  const dir = tempDir("peft");
  await writePeftAdapter(dir, adapter, { baseModel: "b" });
  const configFile = path.join(dir, PEFT_CONFIG_FILE);
  const config = JSON.parse(readFileSync(configFile, "utf8"));
  writeFileSync(configFile, JSON.stringify({ ...config, target_modules: ["q_proj", "v_proj"] }));
  await assert.rejects(readPeftAdapter(dir), /adapter_config\.json: target_modules: HAPS adapters target \["o_proj"\] only/);
  writeFileSync(configFile, JSON.stringify({ ...config, layers_to_transform: [2, 7] }));
  await assert.rejects(readPeftAdapter(dir), /layers_to_transform: says \[2,7\] but the weights hold layers \[2,5\]/);
  writeFileSync(configFile, JSON.stringify(config));
  const { encodeSafetensors } = await import("../../../src/core/checkpoint/safetensors.ts");
  const weights = path.join(dir, PEFT_WEIGHTS_FILE);
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(weights)));
  tensors.delete(peftTensorName(5, "B"));
  writeFileSync(weights, encodeSafetensors(tensors, { "haps.architecture": "llama" }));
  await assert.rejects(readPeftAdapter(dir), /layer 5 has lora_B missing/);
  tensors.set("base_model.model.model.layers.2.mlp.down_proj.lora_A.weight", { shape: [1], data: new Float32Array(1) });
  writeFileSync(weights, encodeSafetensors(tensors, { "haps.architecture": "llama" }));
  await assert.rejects(readPeftAdapter(dir), /tensor "base_model\.model\.model\.layers\.2\.mlp\.down_proj\.lora_A\.weight" is not an o_proj LoRA tensor/);
  await assert.rejects(readPeftAdapter(path.join(dir, "nowhere")), /adapter_config\.json: not found/);
});
