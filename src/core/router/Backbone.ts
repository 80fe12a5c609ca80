// The shared backbone: the router LLM's pooled hidden state of the routing prompt. Both the high-level head and the
// parameter generators read this one feature vector.
//
// Pooling is the mean over the prompt's tokens by default, as in the HAPS reference implementation (masked mean of
// the final hidden states), so that a router trained the paper's way reads the feature it expects; `last` (the final
// token's state) is the option. `npm run bench` measures, on 20 routing prompts, the share of the RMS-normalised
// feature's energy that varies with the problem (bench/latest.json, backbonePoolingProblemShare). On this machine,
// with the problem last in the prompt: stories260K (trained) mean 0.0002 vs last 0.033; the 32k-vocabulary random
// model mean 0.019 vs last 0.000015; the embedded router mean 0.0010 vs last 0.011. Neither wins everywhere on tiny
// models: the mean dilutes the problem with the prompt's fixed parts, while a weak model's last token barely sees the
// problem. Re-measure with a real router model before changing the default.
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import { OUTPUT_FEATURE, featureLayer, type FeatureKind } from "./FeatureKind.ts";
import type { RoutingPrompt } from "./RoutingPrompt.ts";

export class Backbone {
  constructor(
    private readonly runtime: LlamaRuntime,
    readonly modelPath: string,
    readonly pooling: "mean" | "last" = "mean",
    /** The final hidden state (default) or a layer's input (FeatureKind.ts), pooled as `pooling` says. */
    readonly kind: FeatureKind = OUTPUT_FEATURE,
    /** Why this kind (chooseFeatureKind.ts). */
    readonly reason = "the output feature",
  ) {}

  /**
   * The feature of one routing prompt, as a Float32Array of the router model's width. The prompt's fixed prefix is
   * evaluated once per configuration and kept in the router's KV cache, so a query pays for its own tokens only.
   */
  async feature(prompt: RoutingPrompt): Promise<Float32Array> {
    return Float32Array.from(await this.runtime.routingFeature(this.modelPath, prompt.prefix, prompt.problem, this.pooling, featureLayer(this.kind)));
  }
}
