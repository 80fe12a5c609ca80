import type { SpmVocabulary } from "./SpmVocabulary.ts";

/** One tensor of a tiny model, as offered to a {@link TinyLlamaSpec.weights} callback. */
export interface TensorSlot {
  /** llama.cpp's tensor name, e.g. `blk.3.attn_output.weight`. */
  name: string;
  /**
   * ggml dims, fastest first. A matrix `[nIn, nOut]` is stored as nOut rows of nIn values (PyTorch's
   * `weight[out][in]`): element (out o, in i) is at `o * nIn + i`. `token_embd` and `output` are `[nEmbd, nVocab]`,
   * so token t's vector starts at `t * nEmbd`.
   */
  dims: readonly number[];
  /** The block index for `blk.{i}.*` tensors; `undefined` for the others. */
  layer: number | undefined;
  /** The values the generator would use: seeded, and the same whatever other tensors are overridden. */
  random(): Float32Array;
}

/** A tiny llama-architecture model to generate. */
export interface TinyLlamaSpec {
  /** `general.name`. */
  name: string;
  /** n_embd. Must be a multiple of `headCount`. */
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  /** Must divide `headCount`. Defaults to `headCount` (so attn_v is square and can be the identity). */
  headCountKv?: number;
  feedForwardLength: number;
  /** Defaults to `2048`. */
  contextLength?: number;
  /** Seed of the random weights. Defaults to `1`. */
  seed?: number;
  /** Defaults to {@link SpmVocabulary.fromWords} with its default words. */
  vocabulary?: SpmVocabulary;
  /** `tokenizer.chat_template`. Defaults to {@link TINY_CHAT_TEMPLATE}. */
  chatTemplate?: string;
  /** `llama.attention.layer_norm_rms_epsilon`. Defaults to `1e-5`. */
  rmsEpsilon?: number;
  /** Tensors set on purpose, by name; they win over `weights`. Defaults to none. */
  tensors?: Record<string, Float32Array>;
  /**
   * Called for every tensor not in `tensors`; returning values sets it, `undefined` keeps the random values.
   * Defaults to none (all random).
   */
  weights?: (slot: TensorSlot) => Float32Array | undefined;
}

/** A model file the extension ships by generating it. */
export interface ModelRef {
  id: string;
  path: string;
}

/** The generated default models: one router and candidates of different widths. */
export interface DefaultModels {
  router: ModelRef;
  candidates: ModelRef[];
}
