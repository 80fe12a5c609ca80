// Upper bounds of the configuration's sizes, stated once. A size past them is a mistake, not a setting: it would
// only make the router's prompt, the generator or an episode grow until memory or patience runs out (a rank of
// 100,000 once grew memory without bound). Limits that depend on the models (rank against o_proj widths, layers
// against block counts, the generator's memory) are checked when the models' shapes are known:
// see checkGeneratorFits.ts.
export const CONFIG_LIMITS = {
  /** Agents routed per query (the paper has 2). */
  agents: 16,
  /** Candidate models. */
  candidates: 64,
  /** Characters of a role, a task description or a candidate description (all go into the routing prompt). */
  descriptionChars: 2_000,
  /** LoRA rank r (the paper uses 8; LoRA ranks past 256 are unheard of). */
  rank: 256,
  /** o_proj layers adapted per model. */
  lastLayers: 128,
  /** Hidden units of the generator MLP. */
  hidden: 8_192,
  /** |LoRA scale|. */
  scale: 10_000,
  /** Search QA: searches before the Student must finish. */
  searchBudget: 32,
  /** Multiple choice: Student answers. */
  maxRounds: 16,
  /** Format retries per turn. */
  formatRetries: 5,
  /** The cost preference alpha. */
  alpha: 1_000,
  /** Per-turn generation limit: below it a constrained JSON reply cannot close. */
  minMaxTokens: 48,
  /** Per-turn generation limit: at most half of a 8,192-token context. */
  maxTokens: 4_096,
  /** A remote candidate's time limit per HTTP attempt, in ms (ten minutes: a long generation on a busy server). */
  remoteTimeoutMs: 600_000,
  /** A remote candidate's retries after a failed attempt. */
  remoteRetries: 10,
  /** A remote candidate's first retry delay, in ms (it doubles on each retry). */
  remoteRetryDelayMs: 60_000,
} as const;
