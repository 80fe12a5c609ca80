import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { gguf } from "@huggingface/gguf";
import type { ModelShape, OProjShape } from "./types.ts";

/** Bytes per element of the tensor types whose exact size we check; other types get a start-offset check only. */
const ELEMENT_BYTES: Record<number, number> = { 0: 4, 1: 2, 30: 2 }; // F32, F16, BF16

const O_PROJ = /^blk\.(\d+)\.attn_output\.weight$/;

/**
 * Reads a model's shape from its GGUF header without loading it: the widths the router and the adapter generator
 * are sized by, and each layer's o_proj dimensions from its tensor info (not assumed from the embedding width).
 */
export async function readModelShape(path: string): Promise<ModelShape> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    size = info.size;
  } catch (e) {
    throw new Error(`readModelShape: cannot read "${path}": ${(e as Error).message}`);
  }

  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    parsed = await gguf(path, { allowLocalFile: true });
  } catch (e) {
    throw new Error(`readModelShape: "${path}" is not a readable GGUF file (${size} bytes): ${(e as Error).message}`);
  }
  const meta = parsed.metadata as Record<string, unknown>;
  const fail = (what: string) => new Error(`readModelShape: "${path}": ${what}`);

  const dataStart = Number(parsed.tensorDataOffset);
  if (dataStart > size) throw fail(`truncated: tensor data should start at byte ${dataStart} but the file has ${size}`);
  for (const t of parsed.tensorInfos) {
    const start = dataStart + Number(t.offset);
    const elementBytes = ELEMENT_BYTES[t.dtype];
    const end = elementBytes === undefined ? start : start + elementBytes * t.shape.reduce((p, d) => p * Number(d), 1);
    if (end > size) throw fail(`truncated: tensor "${t.name}" ends at byte ${end} but the file has ${size}`);
  }

  const architecture = meta["general.architecture"];
  if (typeof architecture !== "string") throw fail("no general.architecture");
  const num = (key: string, fallback?: number): number => {
    const v = meta[`${architecture}.${key}`];
    if (typeof v === "number" || typeof v === "bigint") return Number(v);
    if (fallback !== undefined) return fallback;
    throw fail(`no ${architecture}.${key}`);
  };

  const headCount = num("attention.head_count");
  const tokens = meta["tokenizer.ggml.tokens"];
  const embeddings = parsed.tensorInfos.find((t) => t.name === "token_embd.weight");
  const vocabSize = num(
    "vocab_size",
    Array.isArray(tokens) ? tokens.length : embeddings?.shape.length === 2 ? Number(embeddings.shape[1]) : undefined,
  );

  const oProj: OProjShape[] = [];
  for (const t of parsed.tensorInfos) {
    const m = O_PROJ.exec(t.name);
    if (!m) continue;
    if (t.shape.length !== 2) throw fail(`tensor "${t.name}" should be 2-D, has shape [${t.shape.join(", ")}]`);
    oProj.push({ layer: Number(m[1]), inWidth: Number(t.shape[0]), outWidth: Number(t.shape[1]) });
  }
  oProj.sort((a, b) => a.layer - b.layer);

  const name = meta["general.name"];
  return {
    architecture,
    name: typeof name === "string" && name.length > 0 ? name : basename(path).replace(/\.gguf$/i, ""),
    blockCount: num("block_count"),
    embeddingLength: num("embedding_length"),
    headCount,
    headCountKv: num("attention.head_count_kv", headCount),
    contextLength: num("context_length"),
    vocabSize,
    feedForwardLength: num("feed_forward_length"),
    oProj,
  };
}
