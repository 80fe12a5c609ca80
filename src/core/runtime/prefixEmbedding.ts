// Pooled embeddings of texts that share a prefix, the prefix evaluated once. The router's backbone feature is the
// mean-pooled hidden state of a routing prompt whose first and largest part (roles, task, candidates) is the same for
// every query: evaluating it again for each query would cost the router LLM a whole prefill each time.
//
// Why internals: node-llama-cpp's LlamaEmbeddingContext.getEmbeddingFor erases its sequence before every text. Its
// context does keep a KV cache, and llama.cpp pools over the tokens of the batch just evaluated, so with the prefix
// left in the cache a query's batch gives the mean over its own tokens, each of which has attended to the prefix
// (measured: the two parts' means, weighted by their token counts, equal the whole text's embedding to 1e-6-2.5e-4 on
// three models, mean and last pooling). That path reaches the context's own sequence and its native getEmbedding,
// which are internal members; they are confined to this module, for the pinned node-llama-cpp 3.21.1, and
// `selfTestPrefixEmbedding` checks them on first use.
import type { LlamaEmbeddingContext, Token } from "node-llama-cpp";

interface EmbeddingInternals {
  _sequence: {
    nextTokenIndex: number;
    eraseContextTokenRanges(ranges: { start: number; end: number }[]): Promise<void>;
    evaluate(tokens: Token[], options: { _noSampling: true }): AsyncIterable<Token>;
  };
  _llamaContext: { _ctx: { getEmbedding(inputTokensLength: number): Float64Array } };
  /** Adds the begin (and, for some vocabularies, end) token exactly as getEmbeddingFor does. */
  _prepareInput(tokens: Token[]): void;
}

function internals(context: LlamaEmbeddingContext): EmbeddingInternals {
  return context as unknown as EmbeddingInternals;
}

/** Throws when the members this module relies on are missing (e.g. after a node-llama-cpp upgrade). */
export function selfTestPrefixEmbedding(context: LlamaEmbeddingContext): void {
  const c = internals(context);
  const problems: string[] = [];
  if (typeof c._sequence?.evaluate !== "function") problems.push("embeddingContext._sequence.evaluate");
  if (typeof c._sequence?.eraseContextTokenRanges !== "function") problems.push("embeddingContext._sequence.eraseContextTokenRanges");
  if (typeof c._llamaContext?._ctx?.getEmbedding !== "function") problems.push("embeddingContext._llamaContext._ctx.getEmbedding");
  if (typeof c._prepareInput !== "function") problems.push("embeddingContext._prepareInput");
  if (problems.length > 0) {
    throw new Error(
      `node-llama-cpp internals used for prefix-cached embeddings are missing (${problems.join(", ")}); ` +
        "this module supports node-llama-cpp 3.21.1 exactly - check the pinned version.",
    );
  }
}

/** One embedding context that keeps the last prefix it saw in its KV cache, with that prefix's pooled vector. */
export class PrefixEmbedder {
  private prefix: Token[] = [];
  private prefixVector: Float64Array | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: LlamaEmbeddingContext,
    readonly pooling: "mean" | "last",
  ) {
    selfTestPrefixEmbedding(context);
  }

  /**
   * The pooled embedding of the text `prefixText + restText` (tokenized by `tokenize`): equal to what
   * getEmbeddingFor gives for the whole text; the prefix is evaluated only when it differs from the last call's.
   * Calls run one at a time.
   */
  embed(tokenize: (text: string) => Token[], prefixText: string, restText: string): Promise<number[]> {
    const run = this.queue.then(() => this.embedNow(tokenize, prefixText, restText));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedNow(tokenize: (text: string) => Token[], prefixText: string, restText: string): Promise<number[]> {
    const c = internals(this.context);
    // Begin and end tokens exactly as getEmbeddingFor adds them.
    const all = tokenize(prefixText + restText);
    c._prepareInput(all);
    const prefixOnly = tokenize(prefixText);
    c._prepareInput(prefixOnly);
    // The shared part is where the two token lists agree (a tokenizer may merge across the boundary), and the query's
    // own batch is never empty.
    let shared = 0;
    while (shared < all.length - 1 && shared < prefixOnly.length && all[shared] === prefixOnly[shared]) shared++;
    const prefix = all.slice(0, shared);
    const cached = this.prefixVector != null && this.prefix.length === prefix.length && this.prefix.every((t, i) => t === prefix[i]);
    if (cached) {
      await c._sequence.eraseContextTokenRanges([{ start: prefix.length, end: c._sequence.nextTokenIndex }]);
    } else {
      await c._sequence.eraseContextTokenRanges([{ start: 0, end: c._sequence.nextTokenIndex }]);
      this.prefixVector = prefix.length > 0 ? await this.evaluate(prefix) : null;
      this.prefix = prefix;
    }
    const rest = all.slice(prefix.length);
    const restVector = await this.evaluate(rest);
    if (this.pooling === "last" || this.prefixVector == null) return Array.from(restVector);
    const p = this.prefixVector;
    return Array.from(restVector, (v, i) => (prefix.length * p[i] + rest.length * v) / all.length);
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
  }

  /** Evaluates tokens after what the sequence holds and returns the pooled vector of those tokens. */
  private async evaluate(tokens: Token[]): Promise<Float64Array> {
    const c = internals(this.context);
    for await (const token of c._sequence.evaluate(tokens, { _noSampling: true })) {
      void token;
      break; // one step is enough: the batch's embeddings are computed
    }
    return Float64Array.from(c._llamaContext._ctx.getEmbedding(tokens.length));
  }
}
