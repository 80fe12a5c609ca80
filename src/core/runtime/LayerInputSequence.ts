// The router's sequence for the layer-input feature: a plain context (no embeddings mode, so a decode computes the
// output head only for the tokens that ask for a distribution, and none while the feature is read) whose KV cache keeps
// the routing prompt's fixed prefix, and whose decodes also hand back one chosen layer's input for every token through
// the native layer (llama_get_embeddings_layer_inp; native/README.md).
//
// The feature is that layer's input pooled over the whole routing prompt, as RoutingSequence pools the final hidden
// state: "mean" is the mean over every token of prefix + problem (the prefix's mean is kept from its one decode and
// weighted by token counts, so a query decodes only its own tokens), "last" the last token's row. The prompt is
// tokenized as the decisions tokenize it (with BOS), so the zero-shot decisions read next extend the same cached
// tokens: the query's tokens are decoded once for the feature and the decision.
//
// llama.cpp keeps the rows of the last decode only (n_batch rows), so each part is decoded as one batch: the context's
// batch is its whole size, and a part longer than that is refused before anything is decoded.
import type { LlamaContext, Token } from "node-llama-cpp";
import type { LayerInputReader } from "../native/nativeLayer.ts";
import type { TrieRead } from "./choiceProbabilities.ts";
import { PrefixSequence } from "./PrefixSequence.ts";

export class LayerInputSequence extends PrefixSequence {
  constructor(
    context: LlamaContext,
    readonly layer: number,
    readonly pooling: "mean" | "last",
    private readonly reader: LayerInputReader,
  ) {
    super(context, context.getSequence());
  }

  /**
   * The pooled input of `layer` over `tokenize(prefixText + restText)`; the prefix is decoded only when the sequence
   * does not hold it already. Afterwards the sequence holds the whole text. Call inside `use`.
   *
   * `ahead`: the reads the zero-shot decisions will make next (choiceReads of their choices after the JSON), tokenized
   * alike. The longest chain of them that extends the query's tokens is decoded in the query's batch, after its own,
   * with an output where each reads; the feature pools the query's rows only, so it is the same as without them. A
   * read that does not extend the query's tokens, or that would not fit the batch, is left to the decision that needs it.
   */
  async feature(tokenize: (text: string) => Token[], prefixText: string, restText: string, ahead: readonly TrieRead[] = []): Promise<number[]> {
    return this.pooledWithCachedPrefix(tokenize(prefixText + restText), tokenize(prefixText), this.pooling, (tokens, extra) => this.decodeAndRead(tokens, extra), ahead);
  }

  /**
   * Decodes `tokens` after what the sequence holds, as one batch (followed by `extra`'s tokens, with outputs where it
   * asks, when they fit), and reads the layer input of `tokens`' rows.
   */
  private async decodeAndRead(tokens: Token[], extra?: { tokens: Token[]; outputs: Set<number> }): Promise<Float64Array> {
    if (tokens.length > this.context.batchSize) {
      throw new Error(`LayerInputSequence: ${tokens.length} tokens in one part of the routing prompt, more than the router context's batch of ${this.context.batchSize}`);
    }
    const after = extra != null && tokens.length + extra.tokens.length <= this.context.batchSize ? extra : { tokens: [], outputs: new Set<number>() };
    // Indices in the whole batch: the extension's outputs come after the query's own tokens.
    await this.evaluate([...tokens, ...after.tokens], new Set([...after.outputs].map((i) => tokens.length + i)));
    // llama.cpp keeps one row per token of the batch, in order: the query's are the first. Nothing else decodes on this
    // context in between: calls on it are queued (`use`) and it has one sequence.
    return this.reader.read(tokens.length, this.pooling);
  }

  override async dispose(): Promise<void> {
    await this.drain();
    this.reader.forget();
    await this.context.dispose();
  }
}
