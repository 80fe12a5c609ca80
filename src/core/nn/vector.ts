/** Input checking shared by every module that takes a vector from outside (a feature, a target, a gradient). */

/**
 * Copies `values` into a float64 vector after checking its length and that every entry is finite.
 * `what` names the input in the error, e.g. "RouterHead.forward: feature f".
 */
export function toVector(values: ArrayLike<number>, width: number, what: string): Float64Array {
  if (values === null || values === undefined || typeof values.length !== "number") {
    throw new Error(`${what}: expected an array of ${width} numbers, got ${values === null ? "null" : typeof values}`);
  }
  if (values.length !== width) throw new Error(`${what}: expected width ${width}, got ${values.length}`);
  const out = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${what}: entry ${i} is not a finite number (${String(v)})`);
    out[i] = v;
  }
  return out;
}

/** Checks that `value` is a finite number; `what` names it in the error. */
export function requireFinite(value: number, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${what} must be a finite number, got ${String(value)}`);
  return value;
}

/** Checks that `value` is a positive integer; `what` names it in the error. */
export function requirePositiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${what} must be a positive integer, got ${String(value)}`);
  return value;
}
