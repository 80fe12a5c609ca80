// Which feature a pipeline's router reads, from the configuration's router.feature:
// - "output" or { layerInput: L }: that feature, or a clear error where it cannot be read here.
// - "auto" (the default): a configured checkpoint's feature (a head reads only the feature it was trained on);
//   without a checkpoint, the last layer's input where the native layer and the router's architecture give it, else
//   the output feature.
//
// Why the last layer's input by default: it is read from a plain context that outputs only the last token, so a
// trained route costs 1.18x the query's prefill against 1.41x for the output feature, which needs an embedding
// context that outputs every token (bench/partial/2026-12-07-quiet-issue18-final.json, routing). It is the deepest
// state a plain pass gives: the output feature is this state after one more block and the output norm.
//
// The price is portability: a checkpoint trained on a layer input is read only where the native layer runs (the
// linux-x64 build). Elsewhere it is refused with the reason and the way out (train with router.feature "output").
import { OUTPUT_FEATURE, describeFeatureKind, type FeatureKind } from "./FeatureKind.ts";

/** router.feature as configured. */
export type FeatureSetting = "auto" | "output" | { layerInput: number };

export interface ChosenFeature {
  kind: FeatureKind;
  /** Why this kind, in a sentence for logs and reports. */
  reason: string;
}

export interface FeatureChoiceContext {
  /** The router model's transformer blocks (layers 0..blockCount-1). */
  blockCount: number;
  /** The configured checkpoint's directory and how to read the feature it was trained on, when one is configured. */
  checkpoint: { dir: string; feature: () => Promise<FeatureKind> } | null;
  /** Null when the router can give the layer-input feature at `layer` here, else why not (LlamaRuntime.layerInputProblem). */
  layerInputProblem: (layer: number) => Promise<string | null>;
}

export async function chooseFeatureKind(setting: FeatureSetting, ctx: FeatureChoiceContext): Promise<ChosenFeature> {
  if (setting === "output") return { kind: OUTPUT_FEATURE, reason: 'router.feature is "output"' };
  if (setting !== "auto") {
    const layer = setting.layerInput;
    if (layer >= ctx.blockCount) throw new Error(`configuration: router.feature.layerInput is ${layer}, but the router model has layers 0..${ctx.blockCount - 1}`);
    const problem = await ctx.layerInputProblem(layer);
    if (problem != null) throw new Error(`configuration: router.feature {"layerInput": ${layer}} cannot be read here: ${problem}. Use router.feature "output" (the pooled final hidden state) instead.`);
    return { kind: { source: "layer-input", layer }, reason: `router.feature is {"layerInput": ${layer}}` };
  }
  if (ctx.checkpoint != null) {
    const { dir } = ctx.checkpoint;
    const stored = await ctx.checkpoint.feature();
    const reason = `router.feature is "auto": the checkpoint ${dir} was trained on the ${describeFeatureKind(stored)} feature`;
    if (stored.source === "output") return { kind: stored, reason };
    const problem =
      stored.layer >= ctx.blockCount ? `the router model has layers 0..${ctx.blockCount - 1}` : await ctx.layerInputProblem(stored.layer);
    if (problem != null) {
      throw new Error(
        `configuration: the checkpoint ${dir} was trained on the input of layer ${stored.layer} of the router, which cannot be read here: ${problem}. ` +
          "A checkpoint trained on a layer input is read only where the native layer runs (the linux-x64 build, see native/README.md); " +
          'for one that works everywhere, train again with router.feature "output".',
      );
    }
    return { kind: stored, reason };
  }
  const last = ctx.blockCount - 1;
  const problem = await ctx.layerInputProblem(last);
  if (problem == null) return { kind: { source: "layer-input", layer: last }, reason: `router.feature is "auto": the last layer's input (layer ${last}), read through the native layer` };
  return { kind: OUTPUT_FEATURE, reason: `router.feature is "auto": the output feature, since the last layer's input cannot be read here (${problem})` };
}
