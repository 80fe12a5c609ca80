/**
 * A typed GGUF metadata value. GGUF stores each value's type next to it, and llama.cpp checks those types
 * (a `uint32` read as `int32` is an error there), so a value always says which one it is.
 */
export type GgufValue =
  | { type: "uint8"; value: number }
  | { type: "uint32"; value: number }
  | { type: "int32"; value: number }
  | { type: "uint64"; value: number | bigint }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "float32[]"; value: ArrayLike<number> }
  | { type: "int32[]"; value: ArrayLike<number> }
  | { type: "uint32[]"; value: ArrayLike<number> };

/** One F32 tensor to write. */
export interface GgufF32Tensor {
  /** The tensor's name, e.g. `blk.0.attn_output.weight`. */
  name: string;
  /**
   * ggml's `ne` order: `dims[0]` is the fastest-varying (contiguous) dimension. A row-major matrix with R rows
   * and C columns is `[C, R]`.
   */
  dims: readonly number[];
  /** `dims` product values, in ggml order. */
  data: Float32Array;
}

/** Options of a {@link GgufWriter}. */
export interface GgufWriterOptions {
  /**
   * Byte alignment of the tensor data section and of each tensor in it. A value other than 32 is recorded as
   * `general.alignment`, as the format requires. Defaults to `32`.
   */
  alignment?: number;
}

/** The dimensions of one layer's attention output projection (`blk.{i}.attn_output.weight`). */
export interface OProjShape {
  layer: number;
  /** ggml `ne[0]`: the width of the attention output that o_proj reads (head count x head width). */
  inWidth: number;
  /** ggml `ne[1]`: the residual stream width that o_proj writes. */
  outWidth: number;
}

/** What the router and the adapter generator need to know about a model file, read from its GGUF header. */
export interface ModelShape {
  /** `general.architecture`, e.g. `llama`. */
  architecture: string;
  /** `general.name`, or the file name without `.gguf` when the file has none. */
  name: string;
  blockCount: number;
  embeddingLength: number;
  headCount: number;
  /** Equals `headCount` when the file has no `attention.head_count_kv`, as in llama.cpp. */
  headCountKv: number;
  contextLength: number;
  vocabSize: number;
  feedForwardLength: number;
  /** One entry per block that has an `attn_output.weight`, in layer order. */
  oProj: OProjShape[];
}
