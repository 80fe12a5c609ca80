// The shared backbone: the router LLM's pooled hidden state of the routing prompt. Both the high-level head and the
// parameter generators read this one feature vector.
//
// Pooling is mean over tokens by default. The routing prompt ends with the same candidate list and instruction for
// every query, so a decoder's last-token state is dominated by that fixed tail and varies little between problems;
// the mean keeps every part's contribution, the problem included. `last` remains available for comparison.
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";

export class Backbone {
  constructor(
    private readonly runtime: LlamaRuntime,
    readonly modelPath: string,
    readonly pooling: "mean" | "last" = "mean",
  ) {}

  /** The feature of one routing prompt, as a Float32Array of the router model's width. */
  async feature(routingPrompt: string): Promise<Float32Array> {
    const [vector] = await this.runtime.embed(this.modelPath, [routingPrompt], this.pooling);
    return Float32Array.from(vector);
  }
}
