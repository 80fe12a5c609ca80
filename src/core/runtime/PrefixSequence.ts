// A context sequence that keeps what it evaluated: asked for a token list, it evaluates only what comes after the
// part it already holds. The zero-shot router reads every query's routing prompt through one of these, so the fixed
// prefix (roles, task, candidates) stays in the KV cache and each agent's decision extends the previous one's JSON.
// Public node-llama-cpp API only (controlledEvaluate, eraseContextTokenRanges).
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import { chainAhead, type TrieRead } from "./choiceProbabilities.ts";

export class PrefixSequence {
  protected held: Token[] = [];
  /**
   * Next-token distributions already read: n -> the distribution after held[0, n). Valid while the sequence holds those
   * n tokens (a causal model's distribution there does not depend on what follows), so `cut` drops the longer ones.
   */
  private peeked = new Map<number, Map<Token, number>>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Tokens evaluated over this sequence's life (what the KV cache saved is the difference to the tokens asked for). */
  evaluatedTokens = 0;
  /** Decodes (evaluate calls) over this sequence's life: each costs a graph run whatever its size. */
  decodes = 0;

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

  /**
   * The next-token distribution after `tokens` (peekAlong with one position): a cached prompt costs nothing, or one
   * token. Afterwards the sequence holds `tokens`, possibly followed by tokens an earlier read decoded ahead.
   */
  async holdAndPeek(tokens: readonly Token[]): Promise<Map<Token, number>> {
    return (await this.peekAlong(tokens, [tokens.length]))[0];
  }

  /**
   * The next-token distributions after tokens[0, n) for each n of `at` (1 <= n <= tokens.length), from at most one
   * decode: what the sequence already holds is kept, the rest of `tokens` is evaluated in one batch with an output at
   * each position asked for, and distributions read before (and still valid) are not read again. Afterwards the
   * sequence holds `tokens`, possibly followed by more that an earlier read decoded (erased lazily, by the next read
   * that diverges from them).
   */
  async peekAlong(tokens: readonly Token[], at: readonly number[]): Promise<Map<Token, number>[]> {
    for (const n of at) if (!(Number.isInteger(n) && n >= 1 && n <= tokens.length)) throw new Error(`PrefixSequence.peekAlong: position ${n} outside 1..${tokens.length}`);
    const common = this.commonPrefix(tokens);
    const missing = at.filter((n) => !(n <= common && this.peeked.has(n)));
    if (missing.length > 0 || common < tokens.length) {
      // The batch starts where the held tokens part from `tokens`, or earlier where a distribution is missing there
      // (the token before it is evaluated again so that its output comes out).
      const start = Math.min(common, ...missing.map((n) => n - 1));
      await this.cut(start);
      const wanted = new Set(at.filter((n) => !this.peeked.has(n)).map((n) => n - 1 - start));
      await this.evaluate(tokens.slice(start), wanted);
    }
    return at.map((n) => this.peeked.get(n)!);
  }

  /** Erases what the sequence holds from position `n` on (and the distributions read there). */
  protected async cut(n: number): Promise<void> {
    if (n < this.sequence.nextTokenIndex) await this.sequence.eraseContextTokenRanges([{ start: n, end: this.sequence.nextTokenIndex }]);
    if (n < this.held.length) this.held.length = n;
    for (const k of this.peeked.keys()) if (k > n) this.peeked.delete(k);
  }

  /**
   * Evaluates `tokens` after what the sequence holds, in one batch, with the next-token distribution read after each
   * index of `outputs` (relative to `tokens`) and kept.
   */
  protected async evaluate(tokens: readonly Token[], outputs: ReadonlySet<number>): Promise<void> {
    const start = this.held.length;
    const output = await this.sequence.controlledEvaluate(tokens.map((t, i) => (outputs.has(i) ? ([t, { generateNext: { probabilities: true } }] as const) : t)) as never);
    this.recordDecode(tokens, outputs, (i) => (output[i] as { next?: { probabilities?: Map<Token, number> } } | undefined)?.next?.probabilities ?? new Map(), start);
  }

  /** Books a decode of `tokens` after `start` held tokens: the held list, the counters, the distributions read. */
  protected recordDecode(tokens: readonly Token[], outputs: ReadonlySet<number>, distribution: (index: number) => Map<Token, number>, start = this.held.length): void {
    this.decodes++;
    this.evaluatedTokens += tokens.length;
    this.held.push(...tokens);
    for (const i of outputs) this.peeked.set(start + i + 1, distribution(i));
  }

  /** The length of the common prefix of what the sequence holds and `tokens`. */
  protected commonPrefix(tokens: readonly Token[]): number {
    let common = 0;
    while (common < tokens.length && common < this.held.length && tokens[common] === this.held[common]) common++;
    return common;
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
   *
   * `ahead` (the zero-shot decisions' reads, choiceReads' shape, on texts that extend `all`) is handed to the query's
   * `evaluate` as one extension and the indices in it where a distribution is read (`aheadOf`); a sequence whose
   * feature does not pool those tokens decodes them in the same batch and keeps the distributions there.
   */
  protected async pooledWithCachedPrefix(
    all: readonly Token[],
    prefixOnly: readonly Token[],
    pooling: "mean" | "last",
    evaluate: (tokens: Token[], ahead?: { tokens: Token[]; outputs: Set<number> }) => Promise<Float64Array>,
    ahead: readonly TrieRead[] = [],
  ): Promise<number[]> {
    let shared = 0;
    while (shared < all.length - 1 && shared < prefixOnly.length && all[shared] === prefixOnly[shared]) shared++;
    const prefix = all.slice(0, shared);
    const cached =
      this.pooledPrefixVector != null &&
      this.pooledPrefixTokens.length === prefix.length &&
      this.pooledPrefixTokens.every((t, i) => t === prefix[i]) &&
      this.commonPrefix(prefix) === prefix.length;
    if (cached) {
      await this.cut(prefix.length);
    } else {
      await this.cut(0);
      this.pooledPrefixVector = prefix.length > 0 ? await evaluate(prefix) : null;
      this.pooledPrefixTokens = prefix;
    }
    const rest = all.slice(prefix.length);
    const restVector = await evaluate(rest, aheadOf(all, ahead));
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

/**
 * Of `reads` (later reads, choiceReads' shape), the longest chain that extends `base`, as one extension of `base` and
 * the indices in it after which a distribution is read; undefined when none extends it.
 */
export function aheadOf(base: readonly Token[], reads: readonly TrieRead[]): { tokens: Token[]; outputs: Set<number> } | undefined {
  const chain = chainAhead({ tokens: base.slice(), at: [] }, reads);
  if (chain.tokens.length <= base.length) return undefined;
  return { tokens: chain.tokens.slice(base.length), outputs: new Set(chain.at.filter((n) => n > base.length).map((n) => n - base.length - 1)) };
}
