import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import { gguf } from "@huggingface/gguf";
import type { ModelShape, OProjShape } from "./types.ts";

/**
 * The most header bytes read, here and by readContextLength (the extension host's reader). The header of
 * llama-2-tiny-random.gguf (the 32,000-token llama vocabulary) is 0.69 MiB; scaled to a 262k-token vocabulary with as
 * many merges, about 12 MiB (an estimate); @huggingface/gguf's own cap is 50 MB. Files named by a configuration a
 * workspace may have chosen are read, so what is parsed must stay bounded whatever the file says.
 */
export const MAX_HEADER_BYTES = 32 * 1024 * 1024;

/** Bytes a key-value pair and a tensor info take at least (key or name length, type, value / dims, type, offset). */
const MIN_ENTRY_BYTES = { 1: { kv: 4 + 4 + 1, tensor: 4 + 4 + 4 + 8 }, 2: { kv: 8 + 4 + 1, tensor: 8 + 4 + 4 + 8 }, 3: { kv: 8 + 4 + 1, tensor: 8 + 4 + 4 + 8 } } as const;

/**
 * Refuses a header whose counts cannot fit in the file (or in MAX_HEADER_BYTES) before anything is parsed: the library
 * reads past the end of a file as zeros, so 24 bytes claiming 10^7 tensors made it build ~2 million tensor infos
 * (~370 MiB, tens of seconds) before failing with an unrelated RangeError.
 */
async function checkHeaderCounts(path: string, size: number): Promise<void> {
  const head = Buffer.alloc(24);
  const handle = await open(path, "r");
  try {
    await handle.read(head, 0, 24, 0);
  } finally {
    await handle.close();
  }
  if (size < 24 || head.toString("latin1", 0, 4) !== "GGUF") return; // the library names what is wrong
  const version = head.readUInt32LE(4);
  if (version !== 1 && version !== 2 && version !== 3) return;
  const [tensors, kvs] = version === 1 ? [BigInt(head.readUInt32LE(8)), BigInt(head.readUInt32LE(12))] : [head.readBigUInt64LE(8), head.readBigUInt64LE(16)];
  const min = MIN_ENTRY_BYTES[version];
  const needed = BigInt(version === 1 ? 16 : 24) + kvs * BigInt(min.kv) + tensors * BigInt(min.tensor);
  const room = Math.min(size, MAX_HEADER_BYTES);
  if (needed > BigInt(room)) {
    throw new Error(
      `the header claims ${tensors} tensors and ${kvs} key-value pairs, which take at least ${needed} bytes, but ${size < MAX_HEADER_BYTES ? `the file has ${size}` : `a header may take at most ${MAX_HEADER_BYTES} (${MAX_HEADER_BYTES / 1024 / 1024} MiB)`}`,
    );
  }
}

/**
 * The header through @huggingface/gguf, with a reader that serves the file's own bytes in the library's 2 MB chunks and
 * refuses a chunk that starts past the end of the file or past MAX_HEADER_BYTES. (The library's local-file reader goes
 * on past the end, reading zeros, up to 50 MB; its `fetch` hook is the one way to bound it, so the file is handed to
 * it as ranges of a placeholder URL, never fetched.) The library still pads the last chunk with zeros; a header that
 * ends in them is refused afterwards by readModelShape's check that the tensor data starts inside the file.
 */
async function parseHeader(path: string, size: number): Promise<Awaited<ReturnType<typeof gguf>>> {
  await checkHeaderCounts(path, size);
  const handle = await open(path, "r");
  // Where the last chunk served stopped short (the end of the file, or MAX_HEADER_BYTES): the library reads a string
  // that runs past its buffer as a shorter one and then fails on a DataView bound (a RangeError), named here instead.
  let cut: string | null = null;
  const pastEnd = `the header runs past the end of the file (${size} bytes)`;
  const tooLong = `the header is longer than ${MAX_HEADER_BYTES} bytes (${MAX_HEADER_BYTES / 1024 / 1024} MiB)`;
  try {
    const readRange = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const range = /^bytes=(\d+)-(\d+)$/.exec(new Headers(init?.headers).get("range") ?? "");
      if (range == null) throw new Error("an unbounded read was asked for");
      const start = Number(range[1]);
      if (start >= size) throw new Error(pastEnd);
      if (start >= MAX_HEADER_BYTES) throw new Error(tooLong);
      const end = Math.min(Number(range[2]), size - 1, MAX_HEADER_BYTES - 1);
      if (end < Number(range[2])) cut = end === size - 1 ? pastEnd : tooLong;
      const bytes = Buffer.alloc(end - start + 1);
      await handle.read(bytes, 0, bytes.length, start);
      return new Response(bytes, { status: 206, headers: { "content-range": `bytes ${start}-${end}/${size}` } });
    };
    return await gguf(`https://gguf.invalid/${encodeURIComponent(basename(path))}`, { fetch: readRange as typeof fetch });
  } catch (error) {
    if (error instanceof RangeError) throw new Error(cut ?? `a value runs past the bytes read (${(error as Error).message}): the header is cut short or malformed`);
    throw error;
  } finally {
    await handle.close();
  }
}

/** The size of a regular file (links followed); refused, named by `reader`, for anything else or a missing file. */
export async function regularFileSize(path: string, reader: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error("not a regular file");
    return info.size;
  } catch (e) {
    throw new Error(`${reader}: cannot read "${path}": ${(e as Error).message}`);
  }
}

/** Bytes per element of the tensor types whose exact size we check; other types get a start-offset check only. */
const ELEMENT_BYTES: Record<number, number> = { 0: 4, 1: 2, 30: 2 }; // F32, F16, BF16

const O_PROJ = /^blk\.(\d+)\.attn_output\.weight$/;

/**
 * Reads a model's shape from its GGUF header without loading it: the widths the router and the adapter generator
 * are sized by, and each layer's o_proj dimensions from its tensor info (not assumed from the embedding width).
 * Only a regular file's own bytes are read, at most MAX_HEADER_BYTES (parseHeader).
 */
export async function readModelShape(path: string): Promise<ModelShape> {
  const size = await regularFileSize(path, "readModelShape");

  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    parsed = await parseHeader(path, size);
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
