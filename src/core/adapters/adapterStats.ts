import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import type { LoraAdapter, LoraLayer } from "./types.ts";

/** How many of the update's singular values a layer's stats carry (fewer when the rank is lower). */
export const TOP_SINGULAR_VALUES = 8;

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
  /**
   * The largest singular values of the update A B, descending: min(rank, TOP_SINGULAR_VALUES) of them (an update of
   * rank r has at most r non-zero ones). Their squares sum to normUpdate^2 when all r are listed.
   */
  topSingularValues: number[];
}

/**
 * Per-layer norms and singular values of an adapter, from two rank x rank Gram matrices G = A^T A and H = B B^T, so
 * it costs O((in + out) r^2 + r^3) instead of forming the in x out product:
 * - ||A B||_F^2 = trace(G H);
 * - the squared singular values of A B are the non-zero eigenvalues of (A B)^T (A B) = B^T G B, which are those of
 *   G H (eig(XY) = eig(YX) away from 0). With G = V L V^T and S = V L^(1/2), G H = S S^T H has the eigenvalues of
 *   the symmetric positive semi-definite S^T H S, which a symmetric eigensolver finds exactly (up to rounding).
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
  return {
    layer: layer.layer,
    rank: r,
    normA: Math.sqrt(normA2),
    normB: Math.sqrt(normB2),
    normUpdate: Math.sqrt(Math.max(0, update2)),
    topSingularValues: singularValuesFromGrams(ata, bbt, r).slice(0, TOP_SINGULAR_VALUES),
  };
}

/** Singular values of A B, descending, from the upper triangles of G = A^T A and H = B B^T (see adapterStats). */
function singularValuesFromGrams(ata: Float64Array, bbt: Float64Array, r: number): number[] {
  const symmetric = (upper: Float64Array) => {
    const m = new Matrix(r, r);
    for (let j = 0; j < r; j++) for (let l = j; l < r; l++) m.set(j, l, upper[j * r + l]).set(l, j, upper[j * r + l]);
    return m;
  };
  const g = new EigenvalueDecomposition(symmetric(ata), { assumeSymmetric: true });
  // S = V L^(1/2); rounding can leave an eigenvalue of a singular G slightly below 0.
  const s = g.eigenvectorMatrix.clone();
  g.realEigenvalues.forEach((lambda, k) => s.mulColumn(k, Math.sqrt(Math.max(0, lambda))));
  const m = s.transpose().mmul(symmetric(bbt)).mmul(s);
  // Symmetrise: the product is symmetric in exact arithmetic, and the symmetric solver reads one triangle.
  const sym = m.add(m.transpose()).mul(0.5);
  const squares = new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues;
  return squares.map((x) => Math.sqrt(Math.max(0, x))).sort((x, y) => y - x);
}
