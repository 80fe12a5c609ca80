// Why hand-written: @huggingface/gguf can read whole files but its `serializeGgufMetadata` writes only the key-value header,
// with no tensor infos and no tensor data, so this small writer produces complete files. It follows the
// GGUF v3 layout: header, key-values, tensor infos, padding, then aligned tensor data, all little endian.
import { writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { GGUFValueType } from "@huggingface/gguf";
import type { GgufF32Tensor, GgufValue, GgufWriterOptions } from "./types.ts";


const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"
const GGUF_VERSION = 3;
const GGML_TYPE_F32 = 0;
/** ggml's GGML_MAX_NAME is 64 bytes including the terminating zero; llama.cpp rejects longer tensor names. */
const MAX_TENSOR_NAME_BYTES = 63;
const MAX_DIMS = 4;

const utf8 = new TextEncoder();

const SCALAR_TYPES = {
  uint8: GGUFValueType.UINT8,
  uint32: GGUFValueType.UINT32,
  int32: GGUFValueType.INT32,
  uint64: GGUFValueType.UINT64,
  float32: GGUFValueType.FLOAT32,
  bool: GGUFValueType.BOOL,
  string: GGUFValueType.STRING,
} as const;

const ARRAY_ITEM_TYPES = {
  "string[]": GGUFValueType.STRING,
  "float32[]": GGUFValueType.FLOAT32,
  "int32[]": GGUFValueType.INT32,
  "uint32[]": GGUFValueType.UINT32,
} as const;

interface PreparedKv {
  key: Uint8Array;
  value: GgufValue;
  /** UTF-8 bytes of string values, encoded once for sizing and writing. */
  strings?: Uint8Array[];
}

/**
 * Builds a GGUF v3 file from typed metadata and F32 tensors. Key-values and tensors are written in the order
 * they were added, so the same calls always give the same bytes.
 */
export class GgufWriter {
  readonly alignment: number;
  private readonly kvs = new Map<string, PreparedKv>();
  private readonly tensors = new Map<string, GgufF32Tensor>();

  constructor(options: GgufWriterOptions = {}) {
    const alignment = options.alignment ?? 32;
    if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
      throw new Error(`GgufWriter: alignment must be a positive multiple of 8, got ${alignment}`);
    }
    this.alignment = alignment;
    if (alignment !== 32) this.setKv("general.alignment", { type: "uint32", value: alignment });
  }

  /** Adds a metadata key-value. Keys are unique: setting one twice is an error rather than a silent overwrite. */
  setKv(key: string, value: GgufValue): this {
    if (key.length === 0) throw new Error("GgufWriter: metadata key must not be empty");
    if (this.kvs.has(key)) throw new Error(`GgufWriter: metadata key "${key}" is set twice`);
    validateValue(key, value);
    const prepared: PreparedKv = { key: utf8.encode(key), value };
    if (value.type === "string") prepared.strings = [utf8.encode(value.value)];
    else if (value.type === "string[]") prepared.strings = value.value.map((s) => utf8.encode(s));
    this.kvs.set(key, prepared);
    return this;
  }

  /** Adds an F32 tensor; its data is referenced, not copied, until the file is produced. */
  addTensor(tensor: GgufF32Tensor): this {
    const { name, dims, data } = tensor;
    const nameBytes = utf8.encode(name).length;
    if (nameBytes === 0 || nameBytes > MAX_TENSOR_NAME_BYTES) {
      throw new Error(`GgufWriter: tensor name "${name}" must be 1..${MAX_TENSOR_NAME_BYTES} bytes long, got ${nameBytes}`);
    }
    if (this.tensors.has(name)) throw new Error(`GgufWriter: tensor "${name}" is added twice`);
    if (dims.length < 1 || dims.length > MAX_DIMS) {
      throw new Error(`GgufWriter: tensor "${name}" must have 1..${MAX_DIMS} dims, got ${dims.length}`);
    }
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d <= 0) {
        throw new Error(`GgufWriter: tensor "${name}" has an invalid dimension ${d} in [${dims.join(", ")}]`);
      }
    }
    if (!(data instanceof Float32Array)) throw new Error(`GgufWriter: tensor "${name}" data must be a Float32Array`);
    const count = dims.reduce((p, d) => p * d, 1);
    if (data.length !== count) {
      throw new Error(`GgufWriter: tensor "${name}" with dims [${dims.join(", ")}] needs ${count} values, got ${data.length}`);
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`GgufWriter: tensor "${name}" has a non-finite value ${data[i]} at index ${i}`);
      }
    }
    this.tensors.set(name, { name, dims: [...dims], data });
    return this;
  }

  /** The complete file. */
  toBytes(): Uint8Array {
    const kvs = [...this.kvs.values()];
    const tensors = [...this.tensors.values()];
    const names = tensors.map((t) => utf8.encode(t.name));

    let headerSize = 4 + 4 + 8 + 8;
    for (const kv of kvs) headerSize += 8 + kv.key.length + 4 + valueSize(kv);
    const offsets: number[] = [];
    let dataSize = 0;
    tensors.forEach((t, i) => {
      headerSize += 8 + names[i].length + 4 + 8 * t.dims.length + 4 + 8;
      offsets.push(dataSize);
      dataSize = alignUp(dataSize + t.data.length * 4, this.alignment);
    });
    const dataStart = alignUp(headerSize, this.alignment);

    const bytes = new Uint8Array(dataStart + dataSize);
    const view = new DataView(bytes.buffer);
    let p = 0;
    const u32 = (v: number) => {
      view.setUint32(p, v, true);
      p += 4;
    };
    const u64 = (v: number | bigint) => {
      view.setBigUint64(p, BigInt(v), true);
      p += 8;
    };
    const str = (b: Uint8Array) => {
      u64(b.length);
      bytes.set(b, p);
      p += b.length;
    };

    bytes.set(GGUF_MAGIC, 0);
    p = 4;
    u32(GGUF_VERSION);
    u64(tensors.length);
    u64(kvs.length);

    for (const kv of kvs) {
      str(kv.key);
      const v = kv.value;
      if (v.type in ARRAY_ITEM_TYPES) {
        const itemType = ARRAY_ITEM_TYPES[v.type as keyof typeof ARRAY_ITEM_TYPES];
        u32(GGUFValueType.ARRAY);
        u32(itemType);
        if (v.type === "string[]") {
          u64(kv.strings!.length);
          for (const s of kv.strings!) str(s);
        } else {
          const items = v.value as ArrayLike<number>;
          u64(items.length);
          for (let i = 0; i < items.length; i++) {
            if (v.type === "float32[]") view.setFloat32(p, items[i], true);
            else if (v.type === "int32[]") view.setInt32(p, items[i], true);
            else view.setUint32(p, items[i], true);
            p += 4;
          }
        }
        continue;
      }
      u32(SCALAR_TYPES[v.type as keyof typeof SCALAR_TYPES]);
      switch (v.type) {
        case "uint8":
          view.setUint8(p, v.value);
          p += 1;
          break;
        case "uint32":
          u32(v.value);
          break;
        case "int32":
          view.setInt32(p, v.value, true);
          p += 4;
          break;
        case "uint64":
          u64(v.value);
          break;
        case "float32":
          view.setFloat32(p, v.value, true);
          p += 4;
          break;
        case "bool":
          view.setUint8(p, v.value ? 1 : 0);
          p += 1;
          break;
        case "string":
          str(kv.strings![0]);
          break;
      }
    }

    tensors.forEach((t, i) => {
      str(names[i]);
      u32(t.dims.length);
      for (const d of t.dims) u64(d);
      u32(GGML_TYPE_F32);
      u64(offsets[i]);
    });

    // Padding stays zero because the buffer starts zeroed. Copying the Float32Array's own bytes gives little
    // endian values only on a little-endian host, which ggml assumes too.
    tensors.forEach((t, i) => {
      bytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), dataStart + offsets[i]);
    });
    return bytes;
  }

  /** Writes the file. */
  async write(path: string): Promise<void> {
    await writeFile(path, this.toBytes());
  }

  /** Writes the file synchronously (for callers on a hot path that cannot await, e.g. per-query adapters). */
  writeSync(path: string): void {
    writeFileSync(path, this.toBytes());
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function valueSize(kv: PreparedKv): number {
  const v = kv.value;
  switch (v.type) {
    case "uint8":
    case "bool":
      return 1;
    case "uint32":
    case "int32":
    case "float32":
      return 4;
    case "uint64":
      return 8;
    case "string":
      return 8 + kv.strings![0].length;
    case "string[]":
      return 4 + 8 + kv.strings!.reduce((s, b) => s + 8 + b.length, 0);
    case "float32[]":
    case "int32[]":
    case "uint32[]":
      return 4 + 8 + 4 * v.value.length;
  }
}

function validateValue(key: string, v: GgufValue): void {
  const bad = (what: string) => new Error(`GgufWriter: metadata "${key}" (${v.type}) ${what}`);
  const checkInt = (x: number, min: number, max: number, where = "") => {
    if (!Number.isInteger(x) || x < min || x > max) throw bad(`needs an integer in [${min}, ${max}]${where}, got ${x}`);
  };
  switch (v.type) {
    case "uint8":
      return checkInt(v.value, 0, 0xff);
    case "uint32":
      return checkInt(v.value, 0, 0xffffffff);
    case "int32":
      return checkInt(v.value, -0x80000000, 0x7fffffff);
    case "uint64": {
      const big = typeof v.value === "bigint" ? v.value : Number.isSafeInteger(v.value) ? BigInt(v.value) : -1n;
      if (big < 0n || big > 0xffffffffffffffffn) throw bad(`needs a non-negative 64-bit integer, got ${v.value}`);
      return;
    }
    case "float32":
      if (typeof v.value !== "number" || !Number.isFinite(v.value)) throw bad(`needs a finite number, got ${v.value}`);
      return;
    case "bool":
      // Callers from plain JavaScript or parsed JSON can pass anything, whatever the type says.
      if (typeof (v.value as unknown) !== "boolean") throw bad(`needs a boolean, got ${String(v.value)}`);
      return;
    case "string":
      if (typeof (v.value as unknown) !== "string") throw bad(`needs a string, got ${typeof v.value}`);
      return;
    case "string[]":
      v.value.forEach((s, i) => {
        if (typeof s !== "string") throw bad(`needs strings, got ${typeof s} at index ${i}`);
      });
      return;
    case "float32[]":
      for (let i = 0; i < v.value.length; i++) {
        if (!Number.isFinite(v.value[i])) throw bad(`needs finite numbers, got ${v.value[i]} at index ${i}`);
      }
      return;
    case "int32[]":
      for (let i = 0; i < v.value.length; i++) checkInt(v.value[i], -0x80000000, 0x7fffffff, ` at index ${i}`);
      return;
    case "uint32[]":
      for (let i = 0; i < v.value.length; i++) checkInt(v.value[i], 0, 0xffffffff, ` at index ${i}`);
      return;
    default:
      throw new Error(`GgufWriter: metadata "${key}" has an unknown type ${(v as { type: unknown }).type}`);
  }
}
