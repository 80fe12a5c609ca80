// The hypernetwork alone at the paper's sizes: a 2,048-wide router feature, a candidate whose o_proj is 4,096 ->
// 4,096, rank 8, the last layer adapted, 256 hidden units. Forward is `generate` (the mean adapter), sampling is
// `sampleAdapter` (mean plus exploration noise), backward is `backwardAdapter` (REINFORCE into every weight).
import { estimateGeneratorMemory } from "../../core/config/checkGeneratorFits.ts";
import { Rng } from "../../core/nn/Rng.ts";
import { HapsPolicy } from "../../core/router/HapsPolicy.ts";
import { timeRepeats, type Summary } from "./stats.ts";

export interface HypernetworkFigures {
  sizes: { featureWidth: number; oProj: string; rank: number; lastLayers: number; hidden: number; trunkWidth: number; candidates: number };
  parameters: number;
  /** Weights and gradients, as estimateGeneratorMemory counts them. */
  memoryMiB: number;
  forwardMs: Summary;
  sampleMs: Summary;
  backwardMs: Summary;
}

export async function benchHypernetwork(repeats: number): Promise<HypernetworkFigures> {
  const featureWidth = 2048;
  const width = 4096;
  const blockCount = 32;
  const candidate = { id: "llama-8b-shape", open: true, architecture: "llama", blockCount, oProj: Array.from({ length: blockCount }, (_, layer) => ({ layer, inWidth: width, outWidth: width })) };
  const sizes = { rank: 8, lastLayers: 1, hidden: 256 };
  const policy = new HapsPolicy({ featureWidth, agents: ["student", "teacher"], candidates: [candidate], ...sizes, seed: 0 });
  const rng = new Rng(1);
  const features = Array.from({ length: 8 }, () => rng.fillNormal(new Float32Array(featureWidth)));
  const f = (i: number) => features[(i + features.length) % features.length];
  const forwardMs = await timeRepeats(repeats, (i) => policy.generate(candidate.id, f(i)));
  const sampleMs = await timeRepeats(repeats, (i) => policy.sampleAdapter(candidate.id, f(i), 0.1, rng));
  // Backward needs a sample's noise; sampling happens outside the timed part.
  const samples = features.map((x) => policy.sampleAdapter(candidate.id, x, 0.1, rng)!);
  const backwardMs = await timeRepeats(repeats, (i) => {
    const k = (i + samples.length) % samples.length;
    policy.backwardAdapter(candidate.id, features[k], samples[k].noise, 1);
  });
  policy.parameters().zeroGrad();
  const estimate = estimateGeneratorMemory({ featureWidth, agents: 2, candidates: [candidate], ...sizes, shareTrunk: true });
  return {
    sizes: { featureWidth, oProj: `${width} -> ${width}`, ...sizes, trunkWidth: policy.config.trunkWidth, candidates: 1 },
    parameters: policy.parameters().scalarCount,
    memoryMiB: estimate.bytes / 2 ** 20,
    forwardMs,
    sampleMs,
    backwardMs,
  };
}
