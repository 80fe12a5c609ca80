/**
 * Pointwise non-linearities and their derivatives. `gelu` is the tanh approximation (the form most LLM code uses).
 * Backward functions take the pre-activation `x` and return dL/dx given dL/dy.
 */
export type ActivationKind = "tanh" | "gelu" | "relu";

export const ACTIVATIONS: readonly ActivationKind[] = ["tanh", "gelu", "relu"];

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_K = 0.044715;

export function activate(kind: ActivationKind, x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  switch (kind) {
    case "tanh":
      for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
      break;
    case "relu":
      for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
      break;
    case "gelu":
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        y[i] = 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_K * v * v * v)));
      }
      break;
    default:
      throw new Error(`activation: unknown kind "${String(kind)}" (expected one of ${ACTIVATIONS.join(", ")})`);
  }
  return y;
}

export function activationBackward(kind: ActivationKind, x: Float64Array, dy: Float64Array): Float64Array {
  const dx = new Float64Array(x.length);
  switch (kind) {
    case "tanh":
      for (let i = 0; i < x.length; i++) {
        const t = Math.tanh(x[i]);
        dx[i] = dy[i] * (1 - t * t);
      }
      break;
    case "relu":
      for (let i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
      break;
    case "gelu":
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        const t = Math.tanh(GELU_C * (v + GELU_K * v * v * v));
        const dInner = GELU_C * (1 + 3 * GELU_K * v * v);
        dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
      }
      break;
    default:
      throw new Error(`activation: unknown kind "${String(kind)}" (expected one of ${ACTIVATIONS.join(", ")})`);
  }
  return dx;
}

export function isActivationKind(value: unknown): value is ActivationKind {
  return typeof value === "string" && (ACTIVATIONS as readonly string[]).includes(value);
}
