import type { LoraLayer } from "../adapters/types.ts";

/**
 * Frobenius norm of one layer's weight update, scale * A B (in x out), without forming the in x out matrix:
 * |A B|_F^2 = trace(B^T A^T A B) = sum_{j,l} (A^T A)_{jl} (B B^T)_{jl}, two rank x rank Gram matrices.
 * `scale` is alpha / rank (times any runtime LoRA scale).
 */
export function loraDeltaNorm(layer: LoraLayer, scale: number): number {
  const { inWidth, outWidth, rank, a, b } = layer;
  const ata = new Float64Array(rank * rank);
  const bbt = new Float64Array(rank * rank);
  for (let j = 0; j < rank; j++) {
    for (let l = j; l < rank; l++) {
      let sa = 0;
      for (let i = 0; i < inWidth; i++) sa += a[i * rank + j] * a[i * rank + l];
      let sb = 0;
      for (let k = 0; k < outWidth; k++) sb += b[j * outWidth + k] * b[l * outWidth + k];
      ata[j * rank + l] = ata[l * rank + j] = sa;
      bbt[j * rank + l] = bbt[l * rank + j] = sb;
    }
  }
  let sum = 0;
  for (let i = 0; i < rank * rank; i++) sum += ata[i] * bbt[i];
  return Math.abs(scale) * Math.sqrt(Math.max(0, sum));
}
