// Bench models with realistic widths and few layers (random weights, the tiny vocabulary): a router as wide as
// Llama-3.2-1B and a candidate as wide as a 3-8B model (Llama-3-8B's attention). The FFN is narrow to keep the
// files at ~0.1 and ~0.4 GB: the adapters act on o_proj, whose shape is the real one.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { buildTinyLlama } from "../../core/models/buildTinyLlama.ts";
import type { TinyLlamaSpec } from "../../core/models/types.ts";

export const BENCH_MODEL_SPECS = {
  /** Llama-3.2-1B's attention: n_embd 2048, 32 heads of 64, 8 KV heads (it has 16 layers and an 8192 FFN). */
  router: { name: "bench-router-2048", embeddingLength: 2048, blockCount: 2, headCount: 32, headCountKv: 8, feedForwardLength: 256, contextLength: 2048, seed: 21 },
  /** Llama-3-8B's attention: n_embd 4096, 32 heads of 128, 8 KV heads (it has 32 layers and a 14336 FFN). */
  candidate: { name: "bench-candidate-4096", embeddingLength: 4096, blockCount: 2, headCount: 32, headCountKv: 8, feedForwardLength: 256, contextLength: 2048, seed: 22 },
} as const satisfies Record<string, TinyLlamaSpec>;

/** Writes the model of `spec` into `dir` unless it is there (named by a hash of the spec), and returns its path. */
export async function ensureBenchModel(dir: string, spec: TinyLlamaSpec, say: (message: string) => void): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 12);
  const file = path.join(dir, `${spec.name}-${hash}.gguf`);
  if (existsSync(file)) return file;
  say(`Generating the bench model ${spec.name} (random weights) into ${dir} (first bench run only; ~10 s)`);
  await mkdir(dir, { recursive: true });
  const aside = `${file}.${process.pid}.tmp`;
  try {
    await buildTinyLlama(spec).write(aside);
    await rename(aside, file);
  } finally {
    await rm(aside, { force: true });
  }
  return file;
}
