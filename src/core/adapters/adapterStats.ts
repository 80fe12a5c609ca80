import type { LoraAdapter, LoraLayer } from "./types.ts";

/** Sizes of one layer's LoRA factors and of the update they make. */
export interface LoraLayerStats {
  layer: number;
  rank: number;
  /** Frobenius norm of A (inWidth x rank). */
  normA: number;
  /** Frobenius norm of B (rank x outWidth). */
  normB: number;
  /** Frobenius norm of the weight update A B (inWidth x outWidth), before alpha / rank and the runtime scale. */
  normUpdate: number;
}

/**
 * Per-layer norms of an adapter. The update's norm comes from ||A B||_F^2 = trace((A^T A)(B B^T)), two rank x rank
 * Gram matrices, so it costs O((in + out) r^2) instead of forming the in x out product.
 */
export function adapterStats(adapter: LoraAdapter): LoraLayerStats[] {
  return adapter.layers.map(layerStats);
}

export function layerStats(layer: LoraLayer): LoraLayerStats {
  const { inWidth, outWidth, rank: r, a, b } = layer;
  if (a.length !== inWidth * r || b.length !== r * outWidth) {
    throw new Error(`adapterStats: layer ${layer.layer} has a of ${a.length} and b of ${b.length} values; expected ${inWidth * r} and ${r * outWidth}`);
  }
  // Gram matrices in float64: the trace sums many products of opposite signs.
  const ata = new Float64Array(r * r);
  for (let i = 0; i < inWidth; i++) {
    for (let j = 0; j < r; j++) {
      const aij = a[i * r + j];
      for (let l = j; l < r; l++) ata[j * r + l] += aij * a[i * r + l];
    }
  }
  const bbt = new Float64Array(r * r);
  for (let j = 0; j < r; j++) {
    for (let l = j; l < r; l++) {
      let s = 0;
      for (let k = 0; k < outWidth; k++) s += b[j * outWidth + k] * b[l * outWidth + k];
      bbt[j * r + l] = s;
    }
  }
  let normA2 = 0;
  let normB2 = 0;
  let update2 = 0;
  for (let j = 0; j < r; j++) {
    normA2 += ata[j * r + j];
    normB2 += bbt[j * r + j];
    // trace(G H) for symmetric G, H is the sum of their element-wise product; only the upper triangles are filled.
    for (let l = j; l < r; l++) update2 += (l === j ? 1 : 2) * ata[j * r + l] * bbt[j * r + l];
  }
  return { layer: layer.layer, rank: r, normA: Math.sqrt(normA2), normB: Math.sqrt(normB2), normUpdate: Math.sqrt(Math.max(0, update2)) };
}
