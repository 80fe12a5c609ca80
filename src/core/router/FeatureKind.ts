// Which hidden state the router's feature is pooled from. A trained head and generators only make sense for the
// feature they were trained on, so the policy configuration carries its kind and a checkpoint records it
// (checkpoint.ts refuses a configuration asking for another).
//
// - "output": the router LLM's final hidden state (after the output norm), pooled on an embedding context
//   (RoutingSequence). The default, and the only kind checkpoints written before kinds were recorded can hold.
// - "layer-input": the input of one transformer layer (the residual stream before that layer's attention norm),
//   pooled the same way, read through the native layer from a plain context that outputs no token while the feature
//   is read (LayerInputSequence). Needs the native layer and an architecture llama.cpp records layer inputs for.
export type FeatureKind = { source: "output" } | { source: "layer-input"; layer: number };

export const OUTPUT_FEATURE: FeatureKind = { source: "output" };

export function describeFeatureKind(kind: FeatureKind): string {
  return kind.source === "output" ? "output (the final hidden state, pooled)" : `layer-input ${kind.layer} (the input of layer ${kind.layer}, pooled)`;
}

export function sameFeatureKind(a: FeatureKind, b: FeatureKind): boolean {
  return a.source === b.source && (a.source === "output" || a.layer === (b as { layer: number }).layer);
}

/** The layer to read for `kind`, or undefined for the output feature (LlamaRuntime.routingPass's `layerInput`). */
export function featureLayer(kind: FeatureKind): number | undefined {
  return kind.source === "layer-input" ? kind.layer : undefined;
}

/** Checks a kind from untrusted JSON; the message names `where`. */
export function checkFeatureKind(value: unknown, where: string): FeatureKind {
  const v = value as { source?: unknown; layer?: unknown } | null;
  if (v != null && typeof v === "object" && v.source === "output" && Object.keys(v).length === 1) return OUTPUT_FEATURE;
  if (v != null && typeof v === "object" && v.source === "layer-input" && Number.isInteger(v.layer) && (v.layer as number) >= 0 && Object.keys(v).length === 2) {
    return { source: "layer-input", layer: v.layer as number };
  }
  throw new Error(`${where}: feature must be {"source": "output"} or {"source": "layer-input", "layer": <integer >= 0>}, got ${JSON.stringify(value)}`);
}
