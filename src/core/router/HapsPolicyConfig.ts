import type { OProjShape } from "../gguf/types.ts";
import type { ActivationKind } from "../nn/activation.ts";
import { formatShapeIssues, policyShapeSchema } from "../config/policyShape.ts";
import { OUTPUT_FEATURE, checkFeatureKind, type FeatureKind } from "./FeatureKind.ts";
import type { Factorization } from "./RouterHead.ts";

/** Up to this many assignments (M^N), "auto" scores every assignment jointly; above it, agent by agent. */
export const AUTO_JOINT_LIMIT = 64;

/** A candidate model the high-level router can assign to an agent. */
export interface CandidateModel {
  id: string;
  /** Open models (local weights) get a generated adapter; closed ones (an API) can be picked but get none. */
  open: boolean;
  /** `general.architecture`. Required when open. */
  architecture?: string;
  /** Number of transformer blocks. Required when open. */
  blockCount?: number;
  /** o_proj widths per block (at least the last `lastLayers`). Required when open. */
  oProj?: readonly OProjShape[];
  /** sha256 of the model file, when known; a checkpoint refuses a model whose hash differs. Defaults to none. */
  sha256?: string;
}

/** Everything that fixes the shape and initialisation of a HAPS policy (head, trunk(s), generators). */
export interface HapsPolicyConfig {
  /** d: width of the router LLM's pooled hidden state. */
  featureWidth: number;
  /** Which hidden state the feature is pooled from (FeatureKind.ts); a checkpoint records it. Defaults to the output. */
  feature?: FeatureKind;
  /** Agent names, e.g. `["student", "teacher"]`. */
  agents: readonly string[];
  /** The candidate pool shared by all agents, in a fixed order. */
  candidates: readonly CandidateModel[];
  /** h: width of the shared trunk's output. Defaults to `256`. */
  trunkWidth?: number;
  /** Width of each generator's own hidden layer (the trunk is the first layer of its 2-layer MLP). Defaults to `256`. */
  hidden?: number;
  /** LoRA rank r. Defaults to `8`. */
  rank?: number;
  /** k: adapt o_proj of each open model's last k blocks. Defaults to `1`. */
  lastLayers?: number;
  /** LoRA alpha written into adapters (update scaled by alpha / rank). Defaults to the rank. */
  loraAlpha?: number;
  /**
   * How the high-level head scores assignments (see RouterHead.ts): `"auto"` is `"joint"` for at most
   * AUTO_JOINT_LIMIT assignments and `"autoregressive"` above. Defaults to `"auto"`.
   */
  factorization?: Factorization | "auto";
  /** Router softmax temperature; a decoding setting that may differ from the one in a checkpoint. Defaults to `1`. */
  temperature?: number;
  /** Activation of the trunk and the generators' hidden layers. Defaults to `"tanh"`. */
  activation?: ActivationKind;
  /**
   * Whether the head and all generators read one trunk (the paper's parameter sharing). `false` is the ablation:
   * the head and each generator get their own copy, starting from the same weights. Defaults to `true`.
   */
  shareTrunk?: boolean;
  /** Bound on the std of generated B entries at initialisation. Defaults to `1e-3`. */
  initBStd?: number;
  /** Scale of the head readout's initial weights (small: near-uniform routing at first). Defaults to `0.1`. */
  headInitScale?: number;
  /** Seed of the initial weights. Defaults to `0`. */
  seed?: number;
}

export type ResolvedHapsPolicyConfig = Required<Omit<HapsPolicyConfig, "candidates" | "factorization">> & {
  candidates: CandidateModel[];
  factorization: Factorization;
};

/** Fills in defaults and checks the configuration, naming the field (and candidate) that is wrong. */
export function resolveHapsPolicyConfig(config: HapsPolicyConfig): ResolvedHapsPolicyConfig {
  if (!config || typeof config !== "object") throw new Error("HAPS policy configuration must be an object");
  // The shape and initialisation fields: one schema for every place that takes them (policyShape.ts).
  const shape = policyShapeSchema.safeParse({
    trunkWidth: config.trunkWidth,
    hidden: config.hidden,
    rank: config.rank,
    lastLayers: config.lastLayers,
    loraAlpha: config.loraAlpha,
    temperature: config.temperature,
    activation: config.activation,
    shareTrunk: config.shareTrunk,
    initBStd: config.initBStd,
    headInitScale: config.headInitScale,
    factorization: config.factorization,
  });
  if (!shape.success) throw new Error(`HAPS policy configuration: ${formatShapeIssues(shape.error)}`);
  const v = shape.data;
  if (!Number.isInteger(config.featureWidth) || config.featureWidth <= 0) throw new Error(`HAPS policy configuration: featureWidth must be a positive integer, got ${String(config.featureWidth)}`);
  const seed = config.seed ?? 0;
  if (typeof seed !== "number" || !Number.isFinite(seed)) throw new Error(`HAPS policy configuration: seed must be a finite number, got ${String(seed)}`);
  const resolved: ResolvedHapsPolicyConfig = {
    featureWidth: config.featureWidth,
    feature: config.feature === undefined ? OUTPUT_FEATURE : checkFeatureKind(config.feature, "HAPS policy configuration"),
    agents: config.agents,
    candidates: [],
    factorization: "joint",
    trunkWidth: v.trunkWidth,
    hidden: v.hidden,
    rank: v.rank,
    lastLayers: v.lastLayers,
    loraAlpha: v.loraAlpha ?? v.rank,
    temperature: v.temperature,
    activation: v.activation as ActivationKind,
    shareTrunk: v.shareTrunk,
    initBStd: v.initBStd,
    headInitScale: v.headInitScale,
    seed,
  };
  if (!Array.isArray(config.agents) || config.agents.length === 0) throw new Error("HAPS policy configuration: agents must be a non-empty array of names");
  resolved.agents = [...config.agents];
  const factorization = v.factorization as Factorization | "auto";
  if (!Array.isArray(config.candidates) || config.candidates.length === 0) throw new Error("HAPS policy configuration: candidates must be a non-empty array");
  const ids = new Set<string>();
  resolved.candidates = config.candidates.map((c, i) => {
    if (!c || typeof c.id !== "string" || c.id.length === 0) throw new Error(`HAPS policy configuration: candidates[${i}] needs a non-empty string id`);
    const where = `HAPS policy configuration: candidate "${c.id}"`;
    if (ids.has(c.id)) throw new Error(`${where} appears twice`);
    ids.add(c.id);
    if (typeof c.open !== "boolean") throw new Error(`${where}: open must be true or false`);
    if (c.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(c.sha256)) throw new Error(`${where}: sha256 must be 64 hex digits`);
    if (c.open) {
      if (typeof c.architecture !== "string" || c.architecture.length === 0) throw new Error(`${where} is open but has no architecture`);
      if (!Number.isInteger(c.blockCount) || c.blockCount! <= 0) throw new Error(`${where} is open but blockCount is ${String(c.blockCount)}`);
      if (!Array.isArray(c.oProj) || c.oProj.length === 0) throw new Error(`${where} is open but has no oProj widths`);
    }
    const copy: CandidateModel = { id: c.id, open: c.open };
    if (c.architecture !== undefined) copy.architecture = c.architecture;
    if (c.blockCount !== undefined) copy.blockCount = c.blockCount;
    if (c.oProj !== undefined) copy.oProj = c.oProj.map((o: OProjShape) => ({ layer: o.layer, inWidth: o.inWidth, outWidth: o.outWidth }));
    if (c.sha256 !== undefined) copy.sha256 = c.sha256.toLowerCase();
    return copy;
  });
  const assignments = resolved.candidates.length ** resolved.agents.length;
  resolved.factorization = factorization === "auto" ? (assignments <= AUTO_JOINT_LIMIT ? "joint" : "autoregressive") : factorization;
  return resolved;
}
