// The router LLM's one sequence: an embedding context whose KV cache keeps the routing prompt's fixed prefix, and
// which gives both the backbone feature and the zero-shot decision's next-token distributions from the same decodes.
//
// Why one context for both: llama.cpp computes logits on an embedding context too (`output_reserve` sets has_logits
// unconditionally, and an embedding context outputs every token), and node-llama-cpp samples whenever logits exist,
// so `controlledEvaluate` with `probabilities` works on the embedding context's own sequence. A zero-shot route then
// evaluates the query's tokens once (their pooled state is the feature) and only the JSON written so far after them,
// instead of the query's tokens again on a generation context. test/core/runtime/routingPass.test.ts checks that the
// distributions equal a generation context's before anything relies on it.
//
// Pooled features with the prefix cached: node-llama-cpp's getEmbeddingFor erases its sequence before every text, but
// llama.cpp pools over the tokens of the batch just evaluated, so with the prefix left in the cache a query's batch
// gives the mean over its own tokens, each of which attended to the prefix (measured: the two parts' means, weighted
// by their token counts, equal the whole text's embedding to 1e-6-2.5e-4 on three models, mean and last pooling).
// That reaches the embedding context's own sequence and native getEmbedding, internal members of the pinned
// node-llama-cpp 3.21.1, confined to this module and checked by `selfTestRoutingSequence` on creation.
//
// The pooled feature is the mean over every token of its batch (llama.cpp pools the batch; no row can be left out), so
// the decisions' JSON cannot ride in the query's decode as it does on LayerInputSequence: the first decision's read
// decodes it after the feature, with the later agents' JSON for the guessed choices in the same batch (ZeroShotRouter).
//
// The decisions need only the last token's distribution, while an embedding context outputs every token (the output
// head for each, and the pooling): with the native layer, the context leaves embeddings mode for the decisions' decodes
// (llama_set_embeddings) and returns to it for the next feature - the same distributions (to float rounding, tested
// in routingPass.test.ts) without the output head and the pooling of every token of the decisions' JSON.
import type { LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, Token } from "node-llama-cpp";
import { PrefixSequence } from "./PrefixSequence.ts";

interface EmbeddingInternals {
  _sequence: LlamaContextSequence & {
    evaluate(tokens: Token[], options: { _noSampling: true }): AsyncIterable<Token>;
  };
  _llamaContext: LlamaContext & { _ctx: { getEmbedding(inputTokensLength: number): Float64Array } };
  /** Adds the begin (and, for some vocabularies, end) token exactly as getEmbeddingFor does. */
  _prepareInput(tokens: Token[]): void;
}

function internals(context: LlamaEmbeddingContext): EmbeddingInternals {
  return context as unknown as EmbeddingInternals;
}

/** Throws when the members this module relies on are missing (e.g. after a node-llama-cpp upgrade). */
export function selfTestRoutingSequence(context: LlamaEmbeddingContext): void {
  const c = internals(context);
  const problems: string[] = [];
  if (typeof c._sequence?.evaluate !== "function") problems.push("embeddingContext._sequence.evaluate");
  if (typeof c._sequence?.controlledEvaluate !== "function") problems.push("embeddingContext._sequence.controlledEvaluate");
  if (typeof c._sequence?.eraseContextTokenRanges !== "function") problems.push("embeddingContext._sequence.eraseContextTokenRanges");
  if (typeof c._llamaContext?._ctx?.getEmbedding !== "function") problems.push("embeddingContext._llamaContext._ctx.getEmbedding");
  if (typeof c._prepareInput !== "function") problems.push("embeddingContext._prepareInput");
  if (problems.length > 0) {
    throw new Error(
      `node-llama-cpp internals used for the router's prefix-cached pass are missing (${problems.join(", ")}); ` +
        "this module supports node-llama-cpp 3.21.1 exactly - check the pinned version.",
    );
  }
}

export class RoutingSequence extends PrefixSequence {
  /** Whether the context is in embeddings mode now (it is created in it). */
  private embeddingsOn = true;

  private constructor(
    private readonly embeddingContext: LlamaEmbeddingContext,
    readonly pooling: "mean" | "last",
    private readonly switchEmbeddings: ((on: boolean) => void) | null,
  ) {
    super(internals(embeddingContext)._llamaContext, internals(embeddingContext)._sequence);
  }

  /**
   * `embeddingsSwitch`, given the embedding context's LlamaContext, may return a switch for its embeddings mode (the
   * native layer's, after its checks); without one, the decisions are read in embeddings mode.
   */
  static create(
    embeddingContext: LlamaEmbeddingContext,
    pooling: "mean" | "last",
    embeddingsSwitch?: (context: LlamaContext) => ((on: boolean) => void) | null,
  ): RoutingSequence {
    selfTestRoutingSequence(embeddingContext);
    return new RoutingSequence(embeddingContext, pooling, embeddingsSwitch?.(internals(embeddingContext)._llamaContext) ?? null);
  }

  /** Whether the decisions' decodes leave embeddings mode (the native layer's switch is in use). */
  get decisionsOutputLastTokenOnly(): boolean {
    return this.switchEmbeddings != null;
  }

  private embeddings(on: boolean): void {
    if (this.switchEmbeddings == null || this.embeddingsOn === on) return;
    this.switchEmbeddings(on);
    this.embeddingsOn = on;
  }

  /** Every decode but the feature's (holdAndPeek, peekAlong) is a decision's: out of embeddings mode. */
  protected override async evaluate(tokens: readonly Token[], outputs: ReadonlySet<number>): Promise<void> {
    this.embeddings(false);
    await super.evaluate(tokens, outputs);
  }

  /**
   * The pooled embedding of `prefixText + restText` (tokenized by `tokenize`), equal to what getEmbeddingFor gives
   * for the whole text; the prefix is evaluated only when the sequence does not hold it already. Afterwards the
   * sequence holds the whole text, so a decision read next evaluates only what follows it. Call inside `use`.
   */
  async feature(tokenize: (text: string) => Token[], prefixText: string, restText: string): Promise<number[]> {
    const c = internals(this.embeddingContext);
    const all = tokenize(prefixText + restText);
    c._prepareInput(all);
    const prefixOnly = tokenize(prefixText);
    c._prepareInput(prefixOnly);
    return this.pooledWithCachedPrefix(all, prefixOnly, this.pooling, (tokens) => this.evaluatePooled(tokens));
  }

  /** Evaluates `tokens` after what the sequence holds, in one batch, and returns their pooled vector. */
  private async evaluatePooled(tokens: Token[]): Promise<Float64Array> {
    this.embeddings(true);
    const c = internals(this.embeddingContext);
    for await (const token of c._sequence.evaluate(tokens, { _noSampling: true })) {
      void token;
      break; // one step is enough: the batch's embeddings are computed
    }
    this.recordDecode(tokens, new Set(), () => new Map());
    return Float64Array.from(c._llamaContext._ctx.getEmbedding(tokens.length));
  }

  override async dispose(): Promise<void> {
    await this.drain();
    await this.embeddingContext.dispose();
  }
}
