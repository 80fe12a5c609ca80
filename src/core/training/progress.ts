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

/** Each phase as people read it (the CLI's progress lines, the extension's progress notifications and notebook). */
export const PHASE_NAMES: Readonly<Record<TrainingProgress["phase"], string>> = {
  prepare: "features",
  actions: "action-level data",
  sft: "warm-up (SFT)",
  rl: "joint RL",
  validate: "validation",
  eval: "evaluation",
};

/** Rate and time left from a phase's start time and its counts. */
export function pace(startedMs: number, done: number, total: number): { rolloutsPerSecond: number; etaSeconds: number } {
  const seconds = Math.max(1e-3, (performance.now() - startedMs) / 1000);
  const rate = done / seconds;
  return { rolloutsPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : Infinity };
}

/** The phase with its seed: "joint RL (seed 5)". */
export function phaseLabel(p: Pick<TrainingProgress, "phase" | "seed">): string {
  return `${PHASE_NAMES[p.phase]}${p.seed != null ? ` (seed ${p.seed})` : ""}`;
}

/** One line for a progress event, for places that show text: "joint RL (seed 5): 12/40, reward 0.431, 3.2/s, 20 s left". */
export function progressLine(p: TrainingProgress): string {
  const parts = [`${p.done}/${p.total}`];
  if (p.reward != null) parts.push(`reward ${p.reward.toFixed(3)}`);
  if (p.rolloutsPerSecond != null && p.done < p.total) parts.push(`${p.rolloutsPerSecond.toFixed(1)}/s`);
  if (p.etaSeconds != null && Number.isFinite(p.etaSeconds) && p.done < p.total) parts.push(`${Math.round(p.etaSeconds)} s left`);
  return `${phaseLabel(p)}: ${parts.join(", ")}${p.message ? ` - ${p.message}` : ""}`;
}
