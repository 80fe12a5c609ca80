/** What a training or evaluation run reports while it works: the CLI draws a progress bar, the extension a notification. */
export interface TrainingProgress {
  /** prepare: routing prompts and features; actions: the action-level data; sft: warm-up; rl: joint RL; validate; eval. */
  phase: "prepare" | "actions" | "sft" | "rl" | "validate" | "eval";
  /** The training seed this belongs to, when the phase is per seed. */
  seed?: number;
  /** Units done and in all (items, episodes or epochs, as the phase counts them). */
  done: number;
  total: number;
  /** Mean reward so far in this phase (RL: over rollouts; validation and warm-up: the validation score). */
  reward?: number;
  /** Episodes per second in this phase. */
  rolloutsPerSecond?: number;
  /** Estimated seconds left in this phase. */
  etaSeconds?: number;
  /** A line worth showing (a validation result, a resumed run). */
  message?: string;
}

/** Rate and time left from a phase's start time and its counts. */
export function pace(startedMs: number, done: number, total: number): { rolloutsPerSecond: number; etaSeconds: number } {
  const seconds = Math.max(1e-3, (performance.now() - startedMs) / 1000);
  const rate = done / seconds;
  return { rolloutsPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : Infinity };
}
