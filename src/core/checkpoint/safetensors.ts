/**
 * safetensors reader and writer (float32 tensors only - all our weights are float32).
 *
 * Hand-written on purpose: the only npm package under that name is a single 0.0.1 release with no repository,
 * types or tests, and the format is small: an 8-byte little-endian header length N, N bytes of JSON mapping each
 * tensor name to {dtype, shape, data_offsets: [begin, end)} (offsets relative to the data section) plus an optional
 * "__metadata__" string map, then the raw little-endian data. The header is padded with spaces to a multiple of 8
 * so the data section starts aligned.
 *
 * The reader validates everything it is given (sizes, offsets, overlaps, dtypes) and says which tensor is wrong:
 * a checkpoint may be truncated or hand-edited.
 */

export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  tensors: Map<string, F32Tensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = "__metadata__";
/** A header larger than this is not a checkpoint of ours; refusing early avoids parsing garbage as JSON. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
};

/** Serialises tensors (in the given order) and string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: Iterable<[string, F32Tensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`encodeSafetensors: metadata "${k}" must be a string`);
    }
    header[METADATA_KEY] = metadata;
  }
  const list: [string, F32Tensor][] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new Error(`encodeSafetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (name in header) throw new Error(`encodeSafetensors: duplicate tensor "${name}"`);
    const count = elementCount(t.shape, `encodeSafetensors: tensor "${name}"`);
    if (!(t.data instanceof Float32Array) || t.data.length !== count) {
      throw new Error(`encodeSafetensors: tensor "${name}" has ${t.data?.length} values, shape [${t.shape.join(", ")}] needs ${count}`);
    }
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
    list.push([name, t]);
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(headerBytes, 8);
  out.fill(0x20, 8 + headerBytes.length, 8 + padded);
  let at = 8 + padded;
  for (const [, t] of list) {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

/** Parses safetensors bytes. `source` (a file name) prefixes every error. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors"): SafetensorsContents {
  if (bytes.length < 8) throw new Error(`${source}: too short for a safetensors file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw new Error(`${source}: header length ${headerLength} exceeds the file (${bytes.length} bytes) or the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) throw new Error(`${source}: header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, F32Tensor>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${source}: ${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") throw new Error(`${source}: ${METADATA_KEY}.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${source}: tensor "${name}"`;
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!entry || typeof entry !== "object") throw new Error(`${where}: entry must be an object`);
    if (typeof entry.dtype !== "string" || !(entry.dtype in DTYPE_BYTES)) throw new Error(`${where}: unknown dtype ${JSON.stringify(entry.dtype)}`);
    if (!Array.isArray(entry.shape)) throw new Error(`${where}: shape must be an array`);
    const shape = entry.shape as number[];
    const count = elementCount(shape, where, true);
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new Error(`${where}: data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) throw new Error(`${where}: data_offsets [${begin}, ${end}] fall outside the ${dataLength}-byte data section`);
    if (end - begin !== count * DTYPE_BYTES[entry.dtype]) {
      throw new Error(`${where}: ${end - begin} bytes of data, but ${entry.dtype} of shape [${shape.join(", ")}] needs ${count * DTYPE_BYTES[entry.dtype]}`);
    }
    if (entry.dtype !== "F32") throw new Error(`${where}: dtype ${entry.dtype} is not supported (only F32)`);
    spans.push({ name, begin, end });
    tensors.set(name, { shape: [...shape], data: readF32(bytes, dataStart + begin, count, view) });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].begin < spans[i - 1].end) throw new Error(`${source}: tensors "${spans[i - 1].name}" and "${spans[i].name}" overlap`);
  }
  return { tensors, metadata };
}

function elementCount(shape: readonly number[], where: string, allowZero = false): number {
  if (!Array.isArray(shape)) throw new Error(`${where}: shape must be an array`);
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0 || (!allowZero && d === 0)) throw new Error(`${where}: shape [${shape.join(", ")}] must hold ${allowZero ? "non-negative" : "positive"} integers`);
    count *= d;
  }
  return count;
}

function readF32(bytes: Uint8Array, at: number, count: number, view: DataView): Float32Array {
  if (LITTLE_ENDIAN_HOST) {
    // slice() copies into a fresh, 4-byte-aligned buffer: the data may start at any byte in the file.
    return new Float32Array(bytes.slice(at, at + 4 * count).buffer);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  return out;
}
