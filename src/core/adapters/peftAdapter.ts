// A generated adapter in Hugging Face PEFT's LoRA layout, which vLLM (runtime LoRA loading), PEFT and transformers
// read: a folder with `adapter_config.json` and `adapter_model.safetensors`.
//
// PEFT applies y = W x + (lora_alpha / r) * lora_B (lora_A x), with lora_A of shape [r, in] and lora_B of shape
// [out, r], named for llama as `base_model.model.model.layers.{i}.self_attn.o_proj.lora_A.weight` (and `lora_B`).
// Our adapter (types.ts) is delta = scale * (alpha / r) * B^T (A^T x) with row-major A (in x r) and B (r x out), so
// lora_A = A^T and lora_B = B^T, and the attach scale is folded into lora_alpha (PEFT has no separate scale):
// lora_alpha = alpha * scale. The GGUF writer (writeLoraAdapter.ts) stores the same transposes, in ggml's order.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeSafetensors, encodeSafetensors, type F32Tensor } from "../checkpoint/safetensors.ts";
import type { LoraAdapter, LoraLayer } from "./types.ts";

export const PEFT_CONFIG_FILE = "adapter_config.json";
export const PEFT_WEIGHTS_FILE = "adapter_model.safetensors";
/** The only module HAPS adapts: the attention output projection (llama.cpp's `attn_output`). */
export const PEFT_TARGET_MODULE = "o_proj";

const TENSOR = /^base_model\.model\.model\.layers\.(\d+)\.self_attn\.o_proj\.lora_([AB])\.weight$/;

/** PEFT's tensor name of one layer's A or B. */
export function peftTensorName(layer: number, which: "A" | "B"): string {
  return `base_model.model.model.layers.${layer}.self_attn.${PEFT_TARGET_MODULE}.lora_${which}.weight`;
}

export interface PeftOptions {
  /** `base_model_name_or_path`: the model the adapter belongs to (vLLM's served name, a Hugging Face repo id, ...). */
  baseModel: string;
  /** The scale the adapter is attached with, folded into `lora_alpha`. Defaults to `1`. */
  scale?: number;
}

/** The adapter as PEFT's `adapter_config.json` (an object) and `adapter_model.safetensors` (bytes). */
export function encodePeftAdapter(adapter: LoraAdapter, options: PeftOptions): { config: Record<string, unknown>; weights: Uint8Array } {
  if (!Array.isArray(adapter?.layers) || adapter.layers.length === 0) throw new Error("PEFT adapter: layers must be a non-empty array");
  const ranks = [...new Set(adapter.layers.map((l) => l.rank))];
  // PEFT's rank_pattern could describe mixed ranks, but vLLM takes one `r` per adapter; ours always have one rank.
  if (ranks.length !== 1) throw new Error(`PEFT adapter: layers have different ranks (${ranks.join(", ")}); the PEFT export needs one rank`);
  const rank = ranks[0];
  const scale = options.scale ?? 1;
  const alpha = (adapter.alpha ?? rank) * scale;
  if (!Number.isFinite(alpha)) throw new Error(`PEFT adapter: alpha x scale must be finite, got ${alpha}`);
  const layers = [...adapter.layers].sort((x, y) => x.layer - y.layer);
  const tensors: [string, F32Tensor][] = [];
  const seen = new Set<number>();
  for (const [i, layer] of layers.entries()) {
    checkLayer(layer, i);
    if (seen.has(layer.layer)) throw new Error(`PEFT adapter: layer ${layer.layer} appears twice`);
    seen.add(layer.layer);
    const { inWidth, outWidth, a, b } = layer;
    const loraA = new Float32Array(rank * inWidth);
    for (let x = 0; x < inWidth; x++) for (let j = 0; j < rank; j++) loraA[j * inWidth + x] = a[x * rank + j];
    const loraB = new Float32Array(outWidth * rank);
    for (let j = 0; j < rank; j++) for (let k = 0; k < outWidth; k++) loraB[k * rank + j] = b[j * outWidth + k];
    tensors.push([peftTensorName(layer.layer, "A"), { shape: [rank, inWidth], data: loraA }]);
    tensors.push([peftTensorName(layer.layer, "B"), { shape: [outWidth, rank], data: loraB }]);
  }
  const config = {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: options.baseModel,
    r: rank,
    lora_alpha: alpha,
    lora_dropout: 0,
    bias: "none",
    target_modules: [PEFT_TARGET_MODULE],
    layers_to_transform: layers.map((l) => l.layer),
    layers_pattern: "layers",
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    use_rslora: false,
    use_dora: false,
    rank_pattern: {},
    alpha_pattern: {},
  };
  // safetensors metadata: "format": "pt" as torch writes it; the architecture so that HAPS can read the adapter back.
  const weights = encodeSafetensors(tensors, { format: "pt", "haps.architecture": adapter.architecture });
  return { config, weights };
}

/**
 * Writes the adapter folder (created if needed). The files appear whole: each is written under a temporary name and
 * renamed, so a server reading the folder never sees half a file.
 */
export async function writePeftAdapter(dir: string, adapter: LoraAdapter, options: PeftOptions): Promise<void> {
  const { config, weights } = encodePeftAdapter(adapter, options);
  await mkdir(dir, { recursive: true });
  const put = async (name: string, bytes: Uint8Array | string) => {
    const tmp = path.join(dir, `.${name}.tmp-${process.pid}`);
    await writeFile(tmp, bytes);
    await rename(tmp, path.join(dir, name));
  };
  await put(PEFT_WEIGHTS_FILE, weights);
  await put(PEFT_CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
}

/** A PEFT adapter folder read back, as HAPS's adapter (alpha = lora_alpha, so the attach scale is 1). */
export interface ReadPeftAdapter {
  adapter: LoraAdapter;
  /** `base_model_name_or_path`. */
  baseModel: string;
}

/**
 * Reads a PEFT LoRA folder that adapts `o_proj` only, as this project writes them. `architecture` names the base
 * model's architecture when the file does not (PEFT files from elsewhere); errors name the file and the field.
 */
export async function readPeftAdapter(dir: string, architecture?: string): Promise<ReadPeftAdapter> {
  const configFile = path.join(dir, PEFT_CONFIG_FILE);
  const weightsFile = path.join(dir, PEFT_WEIGHTS_FILE);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(configFile, "utf8"));
  } catch (error) {
    throw new Error(`${configFile}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : `not readable JSON (${(error as Error).message})`}`);
  }
  const field = (name: string) => `${configFile}: ${name}`;
  if (config.peft_type !== "LORA") throw new Error(`${field("peft_type")}: expected "LORA", got ${JSON.stringify(config.peft_type)}`);
  const rank = config.r;
  if (!Number.isSafeInteger(rank) || (rank as number) < 1) throw new Error(`${field("r")}: expected a positive integer, got ${JSON.stringify(rank)}`);
  const alpha = config.lora_alpha;
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) throw new Error(`${field("lora_alpha")}: expected a number, got ${JSON.stringify(alpha)}`);
  const targets = config.target_modules;
  const targetList = typeof targets === "string" ? [targets] : targets;
  if (!Array.isArray(targetList) || targetList.length !== 1 || targetList[0] !== PEFT_TARGET_MODULE)
    throw new Error(`${field("target_modules")}: HAPS adapters target ["${PEFT_TARGET_MODULE}"] only, got ${JSON.stringify(targets)}`);
  if (config.use_dora === true || config.use_rslora === true) throw new Error(`${configFile}: DoRA and rsLoRA adapters are not supported`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(weightsFile));
  } catch (error) {
    throw new Error(`${weightsFile}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (error as Error).message}`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, weightsFile);
  const pairs = new Map<number, { A?: F32Tensor; B?: F32Tensor }>();
  for (const [name, tensor] of tensors) {
    const m = TENSOR.exec(name);
    if (m == null) throw new Error(`${weightsFile}: tensor "${name}" is not an o_proj LoRA tensor (${peftTensorName(0, "A")} and the like)`);
    const entry = pairs.get(Number(m[1])) ?? {};
    entry[m[2] as "A" | "B"] = tensor;
    pairs.set(Number(m[1]), entry);
  }
  if (pairs.size === 0) throw new Error(`${weightsFile}: no LoRA tensors`);
  const layers: LoraLayer[] = [];
  for (const [layer, { A, B }] of [...pairs].sort((x, y) => x[0] - y[0])) {
    if (A == null || B == null) throw new Error(`${weightsFile}: layer ${layer} has lora_${A == null ? "A" : "B"} missing`);
    if (A.shape.length !== 2 || A.shape[0] !== rank) throw new Error(`${weightsFile}: ${peftTensorName(layer, "A")} has shape [${A.shape}], expected [${rank}, in]`);
    if (B.shape.length !== 2 || B.shape[1] !== rank) throw new Error(`${weightsFile}: ${peftTensorName(layer, "B")} has shape [${B.shape}], expected [out, ${rank}]`);
    const r = rank as number;
    const [, inWidth] = A.shape;
    const [outWidth] = B.shape;
    const a = new Float32Array(inWidth * r);
    for (let j = 0; j < r; j++) for (let x = 0; x < inWidth; x++) a[x * r + j] = A.data[j * inWidth + x];
    const b = new Float32Array(r * outWidth);
    for (let k = 0; k < outWidth; k++) for (let j = 0; j < r; j++) b[j * outWidth + k] = B.data[k * r + j];
    layers.push({ layer, inWidth, outWidth, rank: r, a, b });
  }
  const declared = config.layers_to_transform;
  if (Array.isArray(declared) && JSON.stringify([...declared].sort((x, y) => x - y)) !== JSON.stringify(layers.map((l) => l.layer)))
    throw new Error(`${field("layers_to_transform")}: says ${JSON.stringify(declared)} but the weights hold layers ${JSON.stringify(layers.map((l) => l.layer))}`);
  const arch = metadata["haps.architecture"] ?? architecture;
  if (arch == null) throw new Error(`${weightsFile}: no haps.architecture in its metadata; name the base model's architecture`);
  return { adapter: { architecture: arch, alpha, layers }, baseModel: typeof config.base_model_name_or_path === "string" ? config.base_model_name_or_path : "" };
}

/** Removes an adapter folder written by writePeftAdapter (its two files, then the folder if empty). */
export async function removePeftAdapter(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

function checkLayer(layer: LoraLayer, index: number): void {
  const where = `PEFT adapter layers[${index}] (layer ${layer?.layer})`;
  if (!Number.isSafeInteger(layer?.layer) || layer.layer < 0) throw new Error(`${where}: layer must be a non-negative integer`);
  for (const f of ["inWidth", "outWidth", "rank"] as const)
    if (!Number.isSafeInteger(layer[f]) || layer[f] <= 0) throw new Error(`${where}: ${f} must be a positive integer, got ${layer[f]}`);
  if (!(layer.a instanceof Float32Array) || layer.a.length !== layer.inWidth * layer.rank) throw new Error(`${where}: a must hold inWidth x rank values`);
  if (!(layer.b instanceof Float32Array) || layer.b.length !== layer.rank * layer.outWidth) throw new Error(`${where}: b must hold rank x outWidth values`);
  for (const [name, data] of [["a", layer.a], ["b", layer.b]] as const)
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new Error(`${where}: ${name}[${i}] is ${data[i]}`);
}
