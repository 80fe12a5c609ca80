// The contract between the two-agent protocols and the episode runner: the runner hands a protocol one endpoint per
// agent (model and adapter already bound); the protocol hands back a transcript that accounts for every generation.
import type { ChoiceLetter } from "../metrics/choice/parseChoiceLetter.ts";
import type { FieldLimits } from "./actionSchemas.ts";

export type AgentRole = "student" | "teacher";

/** One generation asked of an agent. */
export interface AgentCall {
  /** Standing instructions for the agent (the role and the reply format). Defaults to none. */
  system?: string;
  /** This turn's input: the question, what the agent has seen, and what it must do now. */
  prompt: string;
  /**
   * Text the reply starts with: the endpoint puts it at the start of the model's reply and the model continues
   * from there; the returned `text` excludes it. Weak models keep a format far better when its first words are
   * given. Defaults to none.
   */
  prefix?: string;
  /** Generation stops before any of these strings. Defaults to none. */
  stop?: string[];
  /** Output token limit. Defaults to the endpoint's own. */
  maxTokens?: number;
  /** A JSON schema the reply must follow (a grammar enforces it). Defaults to none (free text). */
  jsonSchema?: object;
}

/** What one generation cost and produced. */
export interface AgentReply {
  /** The generated text, without `prefix`. */
  text: string;
  promptTokens: number;
  /** Prompt tokens the model's KV cache already held from the agent's previous call (not evaluated again). Defaults to 0. */
  cachedTokens?: number;
  outputTokens: number;
  ms: number;
}

export interface AgentCallHooks {
  /** Aborting ends the generation early; the protocol then stops the episode. */
  signal?: AbortSignal;
  /** Streams the generated text as it comes. */
  onText?: (text: string) => void;
}

/** One agent as the runner binds it: a model (and the per-query adapter, if any) behind a call. */
export interface AgentEndpoint {
  role: AgentRole;
  /** Names the model in token accounting; two agents on the same model share one entry. */
  modelId: string;
  call(request: AgentCall, hooks?: AgentCallHooks): Promise<AgentReply>;
}

/** The action a turn decided, after parsing, or after the fallback rule when parsing failed for good. */
export type ParsedAction =
  /** Search QA Student: read the best-matching paragraph for `query`. */
  | { type: "search"; query: string }
  /** Search QA Student: end the episode with `answer`. */
  | { type: "finish"; answer: string }
  /** Search QA Teacher: the retrieval was useful (`continue`) or the Student should revise its search (`rethink`). */
  | { type: "review"; verdict: "continue" | "rethink"; advice: string }
  /** Multiple-choice Student: the chosen letter; "" when it never gave one (an empty answer scores as wrong). */
  | { type: "choice"; letter: ChoiceLetter | "" }
  /** Multiple-choice Teacher: ask for a revision (`continue`) or accept the answer (`submit`). */
  | { type: "decision"; decision: "continue" | "submit"; feedback: string }
  /** The reply broke the format; a retry follows. */
  | { type: "invalid" };

/** One attempt of one agent: one generation, or two when the protocol forces the action's prefix. */
export interface Turn {
  /** Position in the transcript, from 0. */
  index: number;
  role: AgentRole;
  modelId: string;
  /**
   * From 0: the round (search QA: the Student's round and the Teacher's review of its search; multiple choice: the
   * Student's answer and the Teacher's decision on it).
   */
  step: number;
  /** Generations made for this turn; each is counted in the tokens below. */
  calls: number;
  promptTokens: number;
  /** Of the prompt tokens, those served from the agent's KV cache (evaluated: promptTokens - cachedTokens). */
  cachedTokens: number;
  outputTokens: number;
  /** Everything the model wrote, with the prefixes the protocol gave it. */
  text: string;
  /** The reasoning part: the Student's thought or solution, the Teacher's thought or feedback. */
  reasoning: string;
  /** The agent's running summary after this turn (search QA only). */
  summary?: string;
  action: ParsedAction;
  /** Why the reply broke the format; set on every attempt that did, retried or not. */
  formatError?: string;
  /** Set when the action is not what the model wrote but the stated fallback: names the rule applied. */
  fallback?: string;
  /** n for the n-th retry after a format error; absent on a first attempt. */
  retry?: number;
  /** What the action returned (search QA Student: the paragraph read), if it was carried out. */
  observation?: string;
  /** Wall time of this turn's generations. */
  ms: number;
}

export interface TokenCount {
  input: number;
  output: number;
}

/** Why an episode ended. */
export type StopReason =
  /** Search QA: the Student's Finish was accepted. */
  | "finished"
  /** The Student could not produce a readable action in the last round; the stated fallback ended the episode. */
  | "formatFallback"
  /** Search QA: the last round (no searches left) ended without a Finish; the answer is empty. */
  | "budgetExhausted"
  /** Multiple choice: the Teacher accepted the answer. */
  | "submitted"
  /** Multiple choice: the round limit was reached; the last answer counts. */
  | "roundLimit"
  /** The caller's signal aborted a generation. */
  | "aborted";

export interface EpisodeOutcome {
  /** The final answer: free text (search QA) or a letter, "" when none was given. */
  answer: string;
  turns: Turn[];
  /** Tokens per model id over every generation, retries and forced continuations included. */
  tokens: Record<string, TokenCount>;
  stoppedBecause: StopReason;
}

/** One retrieved paragraph, as the retrieval module returns it. */
export interface RetrievalHit {
  /** Position of the paragraph in the item's context. */
  index: number;
  score: number;
  text: string;
}

/** Search over one item's own paragraphs (BM25 in `src/core/retrieval`); best match first. */
export interface ParagraphRetriever {
  search(query: string, k: number): RetrievalHit[] | Promise<RetrievalHit[]>;
}

/** The two agents of an episode. */
export interface AgentPair {
  student: AgentEndpoint;
  teacher: AgentEndpoint;
}

/** Options both protocols share. */
export interface ProtocolOptions {
  /**
   * Constrain every reply with a JSON schema (a llama.cpp grammar), so that weak local models always produce a
   * readable action; off, replies are free text in labelled lines. Defaults to `true`.
   */
  constrainActions?: boolean;
  /** Output token limit of each generation. Defaults to `256`. */
  maxTokens?: number;
  /** Retries, with a format reminder, after a reply that cannot be read; then the fallback applies. Defaults to `1`. */
  formatRetries?: number;
  /** Length caps of the free-text fields of constrained replies. Defaults to `DEFAULT_FIELD_LIMITS`. */
  fieldLimits?: FieldLimits;
  /** Aborts the episode: the generation running stops, and the outcome says `"aborted"`. Defaults to none. */
  signal?: AbortSignal;
  /** Streams every generated text as it comes, with the agent that writes it. Defaults to none. */
  onText?: (role: AgentRole, text: string) => void;
}

export interface SearchQaOptions extends ProtocolOptions {
  /** B: searches the Student may make (rounds 0..B-1); in round B it must finish. Defaults to `3`. */
  searchBudget?: number;
  /** Longest running summary kept per agent, in characters. Defaults to `480`. */
  summaryMaxChars?: number;
  /** Longest paragraph shown to the agents, in characters (longer ones are cut at a sentence). Defaults to `700`. */
  paragraphMaxChars?: number;
}

export interface MultipleChoiceOptions extends ProtocolOptions {
  /** Student answers in all; the last one counts. Defaults to `3`. */
  maxRounds?: number;
}
