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
import { PrefixSequence } from "./PrefixSequence.ts";

export class LayerInputSequence extends PrefixSequence {
  private prefixTokens: Token[] = [];
  private prefixVector: Float64Array | null = null;

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
   */
  async feature(tokenize: (text: string) => Token[], prefixText: string, restText: string): Promise<number[]> {
    const all = tokenize(prefixText + restText);
    const prefixOnly = tokenize(prefixText);
    // The shared part is where the two token lists agree (a tokenizer may merge across the boundary); the query's own
    // batch is never empty.
    let shared = 0;
    while (shared < all.length - 1 && shared < prefixOnly.length && all[shared] === prefixOnly[shared]) shared++;
    const prefix = all.slice(0, shared);
    const cached =
      this.prefixVector != null &&
      this.prefixTokens.length === prefix.length &&
      this.prefixTokens.every((t, i) => t === prefix[i]) &&
      this.commonPrefix(prefix) === prefix.length;
    this.next = null;
    if (cached) {
      await this.sequence.eraseContextTokenRanges([{ start: prefix.length, end: this.sequence.nextTokenIndex }]);
      this.held = prefix.slice();
    } else {
      await this.sequence.eraseContextTokenRanges([{ start: 0, end: this.sequence.nextTokenIndex }]);
      this.held = [];
      this.prefixVector = prefix.length > 0 ? await this.decodeAndRead(prefix) : null;
      this.prefixTokens = prefix;
    }
    const rest = all.slice(prefix.length);
    const restVector = await this.decodeAndRead(rest);
    if (this.pooling === "last" || this.prefixVector == null) return Array.from(restVector);
    const p = this.prefixVector;
    return Array.from(restVector, (v, i) => (prefix.length * p[i] + rest.length * v) / all.length);
  }

  /** Decodes `tokens` after what the sequence holds, as one batch with no output, and reads their layer input. */
  private async decodeAndRead(tokens: Token[]): Promise<Float64Array> {
    if (tokens.length > this.context.batchSize) {
      throw new Error(`LayerInputSequence: ${tokens.length} tokens in one part of the routing prompt, more than the router context's batch of ${this.context.batchSize}`);
    }
    await this.sequence.controlledEvaluate([...tokens]);
    this.evaluatedTokens += tokens.length;
    this.held.push(...tokens);
    // Nothing else decodes on this context in between: calls on it are queued (`use`) and it has one sequence.
    return this.reader.read(tokens.length, this.pooling);
  }

  override async dispose(): Promise<void> {
    await this.drain();
    this.reader.forget();
    await this.context.dispose();
  }
}
