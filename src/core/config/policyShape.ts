// The HAPS policy's shape and initialisation settings, declared once: the configuration file's `generator` section
// (HapsConfig.ts), the policy configuration (HapsPolicyConfig.ts), the generator itself (LoraGenerator.ts) and a
// checkpoint's manifest (CheckpointManifest.ts) all validate these fields with this one schema, so a bound or a
// default cannot differ between them.
import { z } from "zod";
import { ACTIVATIONS } from "../nn/activation.ts";
import { CONFIG_LIMITS as L } from "./configLimits.ts";

/** How the high-level head scores assignments (see src/core/router/RouterHead.ts). */
export const FACTORIZATIONS = ["joint", "autoregressive", "independent"] as const;
export type Factorization = (typeof FACTORIZATIONS)[number];

const size = (max: number) => z.number().int().min(1).max(max);

export const policyShapeFields = {
  /** h: width of the shared trunk's output. Defaults to `256`. */
  trunkWidth: size(L.hidden),
  /** Width of each generator's own hidden layer (the trunk is the first layer of its 2-layer MLP). Defaults to `256`. */
  hidden: size(L.hidden),
  /** LoRA rank r. Defaults to `8`. */
  rank: size(L.rank),
  /** k: adapt o_proj of each open model's last k blocks. Defaults to `1`. */
  lastLayers: size(L.lastLayers),
  /** LoRA alpha written into adapters (update scaled by alpha / rank). Defaults to the rank. */
  loraAlpha: z.number().finite(),
  /** Router softmax temperature; a decoding setting that may differ from the one in a checkpoint. Defaults to `1`. */
  temperature: z.number().finite().positive(),
  /** Activation of the trunk and the generators' hidden layers. Defaults to `"tanh"`. */
  activation: z.enum(ACTIVATIONS as [string, ...string[]]),
  /** Whether the head and all generators read one trunk (false is the ablation). Defaults to `true`. */
  shareTrunk: z.boolean(),
  /** Bound on the std of generated B entries at initialisation. Defaults to `1e-3`. */
  initBStd: z.number().finite().positive(),
  /** Scale of the head readout's initial weights (small: near-uniform routing at first). Defaults to `0.1`. */
  headInitScale: z.number().finite().nonnegative(),
  /** How the head scores assignments (RouterHead.ts). "auto": joint up to AUTO_JOINT_LIMIT assignments. Defaults to `"auto"`. */
  factorization: z.enum(["auto", ...FACTORIZATIONS]),
} as const;

/** The fields with their defaults filled in (what HapsPolicyConfig resolves). */
export const policyShapeSchema = z.object({
  trunkWidth: policyShapeFields.trunkWidth.default(256),
  hidden: policyShapeFields.hidden.default(256),
  rank: policyShapeFields.rank.default(8),
  lastLayers: policyShapeFields.lastLayers.default(1),
  loraAlpha: policyShapeFields.loraAlpha.optional(),
  temperature: policyShapeFields.temperature.default(1),
  activation: policyShapeFields.activation.default("tanh"),
  shareTrunk: policyShapeFields.shareTrunk.default(true),
  initBStd: policyShapeFields.initBStd.default(1e-3),
  headInitScale: policyShapeFields.headInitScale.default(0.1),
  factorization: policyShapeFields.factorization.default("auto"),
});

/** A zod error as one line per field: `rank: Too big: expected number to be <=256`. */
export function formatShapeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ");
}
