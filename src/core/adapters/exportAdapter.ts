// One generated adapter written for other engines, in both layouts this project speaks: PEFT (vLLM, PEFT,
// transformers) and llama.cpp's LoRA GGUF (llama-server --lora, node-llama-cpp). The attach scale is folded into
// alpha in both, so each file alone gives the update HAPS applies: attach it at scale 1.
import path from "node:path";
import { writePeftAdapter, PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from "./peftAdapter.ts";
import type { LoraAdapter } from "./types.ts";
import { writeLoraAdapter } from "./writeLoraAdapter.ts";

/** The GGUF file's name inside an exported adapter folder. */
export const GGUF_ADAPTER_FILE = "adapter.gguf";

export interface ExportedAdapter {
  dir: string;
  files: string[];
  rank: number;
  /** alpha x scale, as written. */
  alpha: number;
  layers: number[];
}

/** Writes `<dir>/adapter_config.json`, `<dir>/adapter_model.safetensors` and `<dir>/adapter.gguf`. */
export async function exportAdapter(dir: string, adapter: LoraAdapter, options: { baseModel: string; scale: number }): Promise<ExportedAdapter> {
  const rank = adapter.layers[0]?.rank ?? 0;
  const alpha = (adapter.alpha ?? rank) * options.scale;
  await writePeftAdapter(dir, adapter, options);
  const gguf = path.join(dir, GGUF_ADAPTER_FILE);
  await writeLoraAdapter(gguf, { ...adapter, alpha });
  return { dir, files: [path.join(dir, PEFT_CONFIG_FILE), path.join(dir, PEFT_WEIGHTS_FILE), gguf], rank, alpha, layers: adapter.layers.map((l) => l.layer).sort((a, b) => a - b) };
}
