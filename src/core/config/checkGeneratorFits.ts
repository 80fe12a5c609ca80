// The generator's sizes checked against the models once their shapes are known, before any weight is allocated:
// HapsPipeline reads the router's and the candidates' shapes from their GGUF headers and calls
// `checkGeneratorFits` with them. The schema (HapsConfig.ts, configLimits.ts) bounds each size on its own; only
// here can a rank be compared with an o_proj's widths, or the policy's memory be added up.
import os from "node:os";
import type { OProjShape } from "../gguf/types.ts";
import { AUTO_JOINT_LIMIT } from "../router/HapsPolicyConfig.ts";
import type { Factorization } from "../router/RouterHead.ts";
import { ConfigError, type HapsConfig } from "./HapsConfig.ts";

/** An open or closed candidate as the policy sees it (HapsPolicyConfig's CandidateModel has these fields). */
export interface GeneratorCandidate {
  id: string;
  open: boolean;
  blockCount?: number;
  oProj?: readonly OProjShape[];
}

/** The sizes that fix the HAPS policy's parameters. */
export interface PolicySizes {
  /** Width of the router LLM's pooled feature (its embedding length). */
  featureWidth: number;
  agents: number;
  candidates: readonly GeneratorCandidate[];
  rank: number;
  lastLayers: number;
  hidden: number;
  shareTrunk: boolean;
  /** Width of the trunk's output. Defaults to 256, HapsPolicyConfig's default (the configuration does not set it). */
  trunkWidth?: number;
  /** How the head scores assignments. Defaults to HapsPolicyConfig's "auto" rule (joint up to AUTO_JOINT_LIMIT). */
  factorization?: Factorization;
}

export interface PolicyMemoryEstimate {
  /** Float32 weights of the trunk(s), the router head and every open candidate's generator. */
  parameters: number;
  /** What building the policy allocates: each weight and its gradient (float32 each). */
  bytes: number;
  /** With Adam's two moments as well, as a training run holds. */
  trainingBytes: number;
  /** The open candidate whose generator has the most weights, and how many. */
  largest: { id: string; parameters: number } | null;
}

const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(bytes < GiB ? 3 : 1)} GiB`;

/** The o_proj shapes of the last `k` blocks of an open candidate (what its generator writes), or null when unknown. */
function adaptedLayers(c: GeneratorCandidate, k: number): OProjShape[] | null {
  if (!c.open || c.blockCount == null || c.oProj == null) return null;
  return c.oProj.filter((o) => o.layer >= c.blockCount! - k);
}

/**
 * Counts the policy's weights without building it: the trunk (feature -> trunk width), the router head (trunk ->
 * 2 x agents x candidates), and per open candidate an MLP (trunk -> hidden -> hidden) with, per adapted layer, a head
 * for A (hidden -> in x r) and one for B (hidden -> r x out). Without a shared trunk every generator and the head
 * get their own copy. The heads dominate: hidden x r x (in + out) per adapted layer and candidate.
 */
export function estimateGeneratorMemory(sizes: PolicySizes): PolicyMemoryEstimate {
  const trunkWidth = sizes.trunkWidth ?? 256;
  const linear = (inWidth: number, outWidth: number) => inWidth * outWidth + outWidth;
  const trunk = linear(sizes.featureWidth, trunkWidth);
  const M = sizes.candidates.length;
  const N = sizes.agents;
  const factorization = sizes.factorization ?? (M ** N <= AUTO_JOINT_LIMIT ? "joint" : "autoregressive");
  // The head (RouterHead.ts): one readout over whole assignments, one per agent-candidate pair, or a small MLP per agent.
  let head = linear(trunkWidth, 2 * M ** N);
  if (factorization === "independent") head = linear(trunkWidth, 2 * N * M);
  if (factorization === "autoregressive") {
    head = 0;
    for (let n = 0; n < N; n++) head += linear(trunkWidth + n * M, trunkWidth) + linear(trunkWidth, 2 * M);
  }
  // The shared trunk, or without sharing the head's own copy; each generator's copy is counted with it below.
  let parameters = trunk + head;
  let largest: PolicyMemoryEstimate["largest"] = null;
  for (const c of sizes.candidates) {
    const layers = adaptedLayers(c, sizes.lastLayers);
    if (layers == null) continue;
    // The generator's own layer (the second of the paper's two, see LoraGenerator.ts) and its A and B heads.
    let own = linear(trunkWidth, sizes.hidden);
    for (const o of layers) own += linear(sizes.hidden, o.inWidth * sizes.rank) + linear(sizes.hidden, sizes.rank * o.outWidth);
    if (!sizes.shareTrunk) own += trunk;
    parameters += own;
    if (largest == null || own > largest.parameters) largest = { id: c.id, parameters: own };
  }
  return { parameters, bytes: 8 * parameters, trainingBytes: 16 * parameters, largest };
}

/** Half of this machine's memory: the default ceiling for the policy's weights and gradients. */
export function defaultPolicyMemoryLimit(): number {
  return os.totalmem() / 2;
}

/**
 * Throws a ConfigError naming the field, the candidate and what to change when the generator does not fit the
 * models: a rank above an adapted o_proj's smaller width (a LoRA update of rank r on an in x out matrix has rank at
 * most min(in, out), so a larger r only costs memory), more adapted layers than a candidate has blocks, or a
 * policy whose weights and gradients would take more than `memoryLimitBytes`. Returns the memory estimate.
 */
export function checkGeneratorFits(
  config: Pick<HapsConfig, "generator" | "agents">,
  featureWidth: number,
  candidates: readonly GeneratorCandidate[],
  options: {
    /** Ceiling for the policy's weights and gradients. Defaults to half of this machine's memory. */
    memoryLimitBytes?: number;
    /** Where the configuration came from, for the message. Defaults to `"configuration"`. */
    source?: string;
    /** Width of the trunk's output. Defaults to 256, HapsPolicyConfig's default. */
    trunkWidth?: number;
    /** The head's factorisation. Defaults to HapsPolicyConfig's "auto" rule. */
    factorization?: Factorization;
  } = {},
): PolicyMemoryEstimate {
  const g = config.generator;
  const source = options.source ?? "configuration";
  const problems: string[] = [];
  for (const c of candidates) {
    if (!c.open || c.blockCount == null) continue;
    if (g.lastLayers > c.blockCount) {
      problems.push(`generator.lastLayers: ${g.lastLayers}, but candidate "${c.id}" has only ${c.blockCount} blocks; use at most ${c.blockCount}`);
      continue;
    }
    const narrowest = (adaptedLayers(c, g.lastLayers) ?? []).reduce<OProjShape | null>(
      (best, o) => (best == null || Math.min(o.inWidth, o.outWidth) < Math.min(best.inWidth, best.outWidth) ? o : best),
      null,
    );
    if (narrowest != null && g.rank > Math.min(narrowest.inWidth, narrowest.outWidth)) {
      const width = Math.min(narrowest.inWidth, narrowest.outWidth);
      problems.push(
        `generator.rank: ${g.rank} is larger than the o_proj of candidate "${c.id}" at layer ${narrowest.layer} ` +
          `(${narrowest.inWidth} -> ${narrowest.outWidth}): a LoRA update of that matrix has rank at most ${width}; use at most ${width}`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(`${source}: the generator does not fit the models\n  ${problems.join("\n  ")}`);
  const estimate = estimateGeneratorMemory({
    featureWidth,
    agents: config.agents.length,
    candidates,
    rank: g.rank,
    lastLayers: g.lastLayers,
    hidden: g.hidden,
    shareTrunk: g.shareTrunk,
    trunkWidth: options.trunkWidth,
    factorization: options.factorization,
  });
  const limit = options.memoryLimitBytes ?? defaultPolicyMemoryLimit();
  if (estimate.bytes > limit) {
    throw new ConfigError(
      `${source}: generator: the policy would hold ${estimate.parameters.toLocaleString("en-US")} weights, ${gib(estimate.bytes)} with their ` +
        `gradients (${gib(estimate.trainingBytes)} when trained with Adam), more than the limit of ${gib(limit)}` +
        (options.memoryLimitBytes == null ? " (half this machine's memory)" : "") +
        `; the generator of candidate "${estimate.largest?.id}" is the largest. Lower generator.hidden (${g.hidden}), ` +
        `generator.rank (${g.rank}) or generator.lastLayers (${g.lastLayers})`,
    );
  }
  return estimate;
}
