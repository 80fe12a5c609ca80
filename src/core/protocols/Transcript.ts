import { formatReminder } from "./prompts.ts";
import type { ParsedReply } from "./parseActions.ts";
import type { AgentCall, AgentCallHooks, AgentEndpoint, AgentRole, EpisodeOutcome, ParsedAction, StopReason, TokenCount, Turn } from "./types.ts";

/** The generations of one attempt, counted as they happen. */
export class TurnDraft {
  calls = 0;
  promptTokens = 0;
  cachedTokens = 0;
  outputTokens = 0;
  ms = 0;

  constructor(
    readonly endpoint: AgentEndpoint,
    private readonly hooks: AgentCallHooks,
  ) {}

  /** One generation; returns the prefix and the generated text together, as the model's reply reads. */
  async call(request: AgentCall): Promise<string> {
    const reply = await this.endpoint.call(request, this.hooks);
    this.calls++;
    this.promptTokens += reply.promptTokens;
    this.cachedTokens += reply.cachedTokens ?? 0;
    this.outputTokens += reply.outputTokens;
    this.ms += reply.ms;
    return (request.prefix ?? "") + reply.text;
  }
}

/** How to ask an agent for one turn, and what to do when its reply cannot be read. */
export interface AskSpec<A extends ParsedAction> {
  endpoint: AgentEndpoint;
  step: number;
  /** Makes one attempt: its generation(s) through `draft`, then the reading of the whole reply. */
  attempt(draft: TurnDraft, reminder: string | undefined): Promise<{ text: string; parsed: ParsedReply<A> }>;
  /** The reply format, quoted in the reminder of a retry. */
  format: string;
  /** Retries after a format error. */
  retries: number;
  /** The stated rule once the retries are spent: its name (recorded in the turn) and the action it yields. */
  fallback: { rule: string; action: () => A };
}

export interface Answered<A extends ParsedAction> {
  /** The attempt whose action counts (the last one). */
  turn: Turn;
  action: A;
  parsed: ParsedReply<A>;
  fellBack: boolean;
}

/**
 * The record of an episode: every attempt of every agent as a turn, each with the tokens of every generation it
 * made, so the totals are exactly what the endpoints reported.
 */
export class Transcript {
  readonly turns: Turn[] = [];

  constructor(private readonly hooks: { signal?: AbortSignal; onText?: (role: AgentRole, text: string) => void } = {}) {}

  get aborted(): boolean {
    return this.hooks.signal?.aborted === true;
  }

  private hooksFor(endpoint: AgentEndpoint): AgentCallHooks {
    const { signal, onText } = this.hooks;
    return { signal, onText: onText && ((text: string) => onText(endpoint.role, text)) };
  }

  /**
   * Asks an agent for a turn. The format rule: a reply that cannot be read is recorded with its `formatError`, and
   * the agent is asked again with a reminder of the format, up to `retries` times; after that the spec's fallback
   * action is taken and named in the turn. An abort ends the asking at once (the fallback then applies too).
   */
  async ask<A extends ParsedAction>(spec: AskSpec<A>): Promise<Answered<A>> {
    let reminder: string | undefined;
    for (let retry = 0; ; retry++) {
      const draft = new TurnDraft(spec.endpoint, this.hooksFor(spec.endpoint));
      const { text, parsed } = await spec.attempt(draft, reminder);
      const readable = parsed.action !== null;
      const last = readable || retry >= spec.retries || this.aborted;
      const action: ParsedAction = readable ? parsed.action! : last ? spec.fallback.action() : { type: "invalid" };
      const turn = this.record(draft, spec.step, retry, text, parsed, action);
      if (!readable && last) turn.fallback = spec.fallback.rule;
      if (last) return { turn, action: action as A, parsed, fellBack: !readable };
      reminder = formatReminder(parsed.error ?? "unreadable reply", spec.format);
    }
  }

  private record(draft: TurnDraft, step: number, retry: number, text: string, parsed: ParsedReply<ParsedAction>, action: ParsedAction): Turn {
    const turn: Turn = {
      index: this.turns.length,
      role: draft.endpoint.role,
      modelId: draft.endpoint.modelId,
      step,
      calls: draft.calls,
      promptTokens: draft.promptTokens,
      cachedTokens: draft.cachedTokens,
      outputTokens: draft.outputTokens,
      text,
      reasoning: parsed.reasoning,
      action,
      ms: draft.ms,
    };
    if (parsed.error !== undefined) turn.formatError = parsed.error;
    if (retry > 0) turn.retry = retry;
    this.turns.push(turn);
    return turn;
  }

  outcome(answer: string, stoppedBecause: StopReason): EpisodeOutcome {
    const tokens: Record<string, TokenCount> = {};
    for (const turn of this.turns) {
      const count = (tokens[turn.modelId] ??= { input: 0, output: 0 });
      count.input += turn.promptTokens;
      count.output += turn.outputTokens;
    }
    return { answer, turns: this.turns, tokens, stoppedBecause: this.aborted ? "aborted" : stoppedBecause };
  }
}
