import { writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { GgufWriter } from "../gguf/GgufWriter.ts";
import type { LoraAdapter, LoraLayer } from "./types.ts";

/**
 * The adapter as llama.cpp's LoRA GGUF bytes. llama.cpp computes `W x + scale * (alpha / r) * lora_b (lora_a x)`
 * with `lora_a` of ggml dims [inWidth, r] and `lora_b` of [r, outWidth]. A ggml matrix [n0, n1] is n1 rows of n0
 * values, so `lora_a` holds A^T (r rows of inWidth) and `lora_b` holds B^T (outWidth rows of r): both are the
 * transposes of our row-major A (inWidth x r) and B (r x outWidth), which gives delta = B^T A^T x as documented
 * in types.ts.
 */
export function encodeLoraAdapter(adapter: LoraAdapter): Uint8Array {
  const alpha = validateLoraAdapter(adapter);
  const w = new GgufWriter();
  w.setKv("general.architecture", { type: "string", value: adapter.architecture })
    .setKv("general.type", { type: "string", value: "adapter" })
    .setKv("adapter.type", { type: "string", value: "lora" })
    .setKv("adapter.lora.alpha", { type: "float32", value: alpha });
  // llama.cpp pairs tensors by name, so the order only has to be deterministic.
  for (const layer of [...adapter.layers].sort((x, y) => x.layer - y.layer)) for (const tensor of loraTensors(layer)) w.addTensor(tensor);
  return w.toBytes();
}

/**
 * One layer's two tensors as llama.cpp holds them: names, ggml dims and data (the transposes described above). The
 * file path writes these into the GGUF; the in-place path (LoraPool) writes the same data into a loaded adapter.
 */
export function loraTensors(layer: LoraLayer): [LoraTensor, LoraTensor] {
  const { inWidth, outWidth, rank, a, b } = layer;
  const loraA = new Float32Array(inWidth * rank);
  for (let i = 0; i < inWidth; i++) for (let j = 0; j < rank; j++) loraA[j * inWidth + i] = a[i * rank + j];
  const loraB = new Float32Array(rank * outWidth);
  for (let j = 0; j < rank; j++) for (let k = 0; k < outWidth; k++) loraB[k * rank + j] = b[j * outWidth + k];
  const base = `blk.${layer.layer}.attn_output.weight`;
  return [
    { name: `${base}.lora_a`, dims: [inWidth, rank], data: loraA },
    { name: `${base}.lora_b`, dims: [rank, outWidth], data: loraB },
  ];
}

export interface LoraTensor {
  name: string;
  dims: [number, number];
  data: Float32Array;
}


/**
 * Checks the adapter as llama.cpp would need it (architecture, layers, shapes, finite values) and returns its alpha.
 * Throws an error that names the layer and field.
 */
export function validateLoraAdapter(adapter: LoraAdapter): number {
  if (typeof adapter?.architecture !== "string" || adapter.architecture.length === 0) {
    throw new Error("LoRA adapter: architecture must be a non-empty string (the base model's general.architecture)");
  }
  if (!Array.isArray(adapter.layers) || adapter.layers.length === 0) throw new Error("LoRA adapter: layers must be a non-empty array");
  const seen = new Set<number>();
  adapter.layers.forEach((layer, i) => {
    validateLayer(layer, i);
    if (seen.has(layer.layer)) throw new Error(`LoRA adapter: layer ${layer.layer} appears twice (layers[${i}])`);
    seen.add(layer.layer);
  });
  const alpha = adapter.alpha ?? defaultAlpha(adapter.layers);
  if (!Number.isFinite(alpha)) throw new Error(`LoRA adapter: alpha must be a finite number, got ${alpha}`);
  return alpha;
}

/** Writes the adapter file. */
export async function writeLoraAdapter(path: string, adapter: LoraAdapter): Promise<void> {
  await writeFile(path, encodeLoraAdapter(adapter));
}

/** Writes the adapter file synchronously (per-query adapters are small; a sync write avoids a tick per query). */
export function writeLoraAdapterSync(path: string, adapter: LoraAdapter): void {
  writeFileSync(path, encodeLoraAdapter(adapter));
}

/** alpha = rank makes alpha / rank = 1; with mixed ranks no single alpha does, so the caller must choose. */
function defaultAlpha(layers: readonly LoraLayer[]): number {
  const ranks = [...new Set(layers.map((l) => l.rank))];
  if (ranks.length > 1) {
    throw new Error(`LoRA adapter: layers have different ranks (${ranks.join(", ")}); set alpha explicitly (llama.cpp scales each layer by alpha / its rank)`);
  }
  return ranks[0];
}

function validateLayer(layer: LoraLayer, index: number): void {
  const where = `LoRA adapter layers[${index}] (blk.${layer?.layer})`;
  if (!Number.isSafeInteger(layer?.layer) || layer.layer < 0) throw new Error(`${where}: layer must be a non-negative integer`);
  for (const field of ["inWidth", "outWidth", "rank"] as const) {
    const v = layer[field];
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${where}: ${field} must be a positive integer, got ${v}`);
  }
  const check = (field: "a" | "b", data: unknown, rows: number, cols: number, shape: string) => {
    if (!(data instanceof Float32Array)) throw new Error(`${where}: ${field} must be a Float32Array`);
    if (data.length !== rows * cols) {
      throw new Error(`${where}: ${field} must hold ${shape} = ${rows} x ${cols} = ${rows * cols} values, got ${data.length}`);
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new Error(`${where}: ${field}[${i}] is ${data[i]}`);
    }
  };
  check("a", layer.a, layer.inWidth, layer.rank, "inWidth x rank");
  check("b", layer.b, layer.rank, layer.outWidth, "rank x outWidth");
}
