/**
 * Cosine of the angle between two vectors of equal length. A zero vector has no direction, so its similarity to
 * anything is 0 rather than NaN (NaN would break sorting).
 */
export function cosineSimilarity(left: readonly number[], right: readonly number[]): number {
  if (left.length !== right.length) throw new RangeError(`cosineSimilarity: lengths differ (${left.length} vs ${right.length})`);
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let i = 0; i < left.length; i += 1) {
    dot += left[i] * right[i];
    leftNorm += left[i] * left[i];
    rightNorm += right[i] * right[i];
  }
  if (leftNorm === 0 || rightNorm === 0) return 0;
  return dot / Math.sqrt(leftNorm * rightNorm);
}
