/**
 * One layer's LoRA update of the attention output projection (o_proj, `attn_output` in llama.cpp):
 * delta_W x = scale * (alpha / rank) * B^T (A^T x) in the paper's shapes, with
 * A of shape (inWidth x rank) and B of shape (rank x outWidth), both row-major.
 */
export interface LoraLayer {
  /** Transformer block index (0-based, as in `blk.{i}`). */
  layer: number;
  inWidth: number;
  outWidth: number;
  rank: number;
  /** Row-major (inWidth x rank): a[i * rank + j]. */
  a: Float32Array;
  /** Row-major (rank x outWidth): b[j * outWidth + k]. */
  b: Float32Array;
}

/** A per-query adapter for one model: o_proj updates for some of its layers. */
export interface LoraAdapter {
  /** `general.architecture` of the base model (llama.cpp refuses a mismatch). */
  architecture: string;
  /** llama.cpp's `adapter.lora.alpha`. Defaults to the rank, which makes alpha / rank = 1. */
  alpha?: number;
  layers: LoraLayer[];
}
