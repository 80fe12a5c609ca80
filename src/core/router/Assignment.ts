/** A routing decision: a candidate per agent, with the probability distribution it was drawn from. */
export interface Assignment {
  /** Agent id -> candidate id. */
  choice: Record<string, string>;
  /** Agent id -> candidate id -> probability. */
  probabilities: Record<string, Record<string, number>>;
  /** Log-probability of the whole assignment under the router. */
  logProbability: number;
  /** How it was decided. */
  mode: "zero-shot" | "trained" | "fixed";
  /** Zero-shot: the router LLM's raw JSON answer. */
  rawAnswer?: string;
}
