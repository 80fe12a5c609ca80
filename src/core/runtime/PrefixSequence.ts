// A context sequence that keeps what it evaluated: asked for a token list, it evaluates only what comes after the
// part it already holds. The zero-shot router reads every query's routing prompt through one of these, so the fixed
// prefix (roles, task, candidates) stays in the KV cache and each agent's decision extends the previous one's JSON.
// Public node-llama-cpp API only (controlledEvaluate, eraseContextTokenRanges).
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";

export class PrefixSequence {
  protected held: Token[] = [];
  /** The next-token distribution after `held`, when the last evaluation asked for it. */
  protected next: Map<Token, number> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Tokens evaluated over this sequence's life (what the KV cache saved is the difference to the tokens asked for). */
  evaluatedTokens = 0;

  constructor(
    readonly context: LlamaContext,
    protected readonly sequence: LlamaContextSequence,
  ) {}

  /** Runs `fn` with this sequence to itself (calls are queued). */
  use<T>(fn: (s: PrefixSequence) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => fn(this));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Makes the sequence hold exactly `tokens`: erases what differs from them, evaluates what is missing. */
  async hold(tokens: readonly Token[]): Promise<void> {
    const common = this.commonPrefix(tokens);
    if (common < this.sequence.nextTokenIndex) await this.sequence.eraseContextTokenRanges([{ start: common, end: this.sequence.nextTokenIndex }]);
    const missing = tokens.slice(common);
    if (missing.length > 0) await this.sequence.controlledEvaluate([...missing]);
    this.evaluatedTokens += missing.length;
    this.held = [...tokens];
    if (missing.length > 0) this.next = null;
  }

  /**
   * `hold(tokens)` and the next-token distribution after them, from the same batch: the missing tokens are evaluated
   * in one pass with the last one asking for probabilities (a cached prompt costs nothing, or one token).
   */
  async holdAndPeek(tokens: readonly Token[]): Promise<Map<Token, number>> {
    if (tokens.length === 0) throw new Error("PrefixSequence.holdAndPeek: no tokens");
    if (this.next != null && this.held.length === tokens.length && this.held.every((t, i) => t === tokens[i])) return this.next;
    // At least the last token is evaluated again, so that its distribution comes out.
    const common = Math.min(this.commonPrefix(tokens), tokens.length - 1);
    if (common < this.sequence.nextTokenIndex) await this.sequence.eraseContextTokenRanges([{ start: common, end: this.sequence.nextTokenIndex }]);
    const missing = tokens.slice(common);
    const output = await this.sequence.controlledEvaluate(missing.map((t, i) => (i === missing.length - 1 ? ([t, { generateNext: { probabilities: true } }] as const) : t)) as never);
    this.evaluatedTokens += missing.length;
    this.held = [...tokens];
    this.next = (output[missing.length - 1] as { next?: { probabilities?: Map<Token, number> } } | undefined)?.next?.probabilities ?? new Map();
    return this.next;
  }

  /** The length of the common prefix of what the sequence holds and `tokens`. */
  protected commonPrefix(tokens: readonly Token[]): number {
    let common = 0;
    while (common < tokens.length && common < this.held.length && tokens[common] === this.held[common]) common++;
    return common;
  }

  /**
   * The next-token distributions after each token of `tail`, evaluated after what the sequence holds; the tail is
   * erased again afterwards, so the sequence still holds what it held.
   */
  async probabilitiesAlong(tail: readonly Token[]): Promise<Map<Token, number>[]> {
    const start = this.sequence.nextTokenIndex;
    const output = await this.sequence.controlledEvaluate(tail.map((t) => [t, { generateNext: { probabilities: true } }] as const) as never);
    this.evaluatedTokens += tail.length;
    await this.sequence.eraseContextTokenRanges([{ start, end: this.sequence.nextTokenIndex }]);
    this.next = null;
    return tail.map((_, i) => output[i]?.next?.probabilities ?? new Map());
  }

  /** The prefix whose pooled vector is `pooledPrefixVector` (the sequence holds it while `held` starts with it). */
  private pooledPrefixTokens: Token[] = [];
  private pooledPrefixVector: Float64Array | null = null;

  /**
   * A pooled vector over `all` (the whole text's tokens) that evaluates the fixed prefix only when the sequence does not
   * hold it already: `evaluate` decodes tokens after what the sequence holds and returns their pooled vector, and "mean"
   * weights the cached prefix's vector and the rest's by their token counts. `prefixOnly` is the prefix's own
   * tokenization; the shared part is where the two lists agree (a tokenizer may merge across the boundary), and the
   * query's own batch is never empty. Afterwards the sequence holds `all`. Shared by the router's output feature
   * (RoutingSequence) and its layer-input feature (LayerInputSequence).
   */
  protected async pooledWithCachedPrefix(
    all: readonly Token[],
    prefixOnly: readonly Token[],
    pooling: "mean" | "last",
    evaluate: (tokens: Token[]) => Promise<Float64Array>,
  ): Promise<number[]> {
    let shared = 0;
    while (shared < all.length - 1 && shared < prefixOnly.length && all[shared] === prefixOnly[shared]) shared++;
    const prefix = all.slice(0, shared);
    const cached =
      this.pooledPrefixVector != null &&
      this.pooledPrefixTokens.length === prefix.length &&
      this.pooledPrefixTokens.every((t, i) => t === prefix[i]) &&
      this.commonPrefix(prefix) === prefix.length;
    this.next = null;
    if (cached) {
      await this.sequence.eraseContextTokenRanges([{ start: prefix.length, end: this.sequence.nextTokenIndex }]);
      this.held = prefix.slice();
    } else {
      await this.sequence.eraseContextTokenRanges([{ start: 0, end: this.sequence.nextTokenIndex }]);
      this.held = [];
      this.pooledPrefixVector = prefix.length > 0 ? await evaluate(prefix) : null;
      this.pooledPrefixTokens = prefix;
    }
    const rest = all.slice(prefix.length);
    const restVector = await evaluate(rest);
    if (pooling === "last" || this.pooledPrefixVector == null) return Array.from(restVector);
    const p = this.pooledPrefixVector;
    return Array.from(restVector, (v, i) => (prefix.length * p[i] + rest.length * v) / all.length);
  }

  /** Resolves once the calls queued so far have ended. */
  protected async drain(): Promise<void> {
    await this.queue;
  }

  /** Frees the context once the calls queued on it have ended (a decode in flight would reject on a freed context). */
  async dispose(): Promise<void> {
    await this.drain();
    await this.context.dispose();
  }
}
