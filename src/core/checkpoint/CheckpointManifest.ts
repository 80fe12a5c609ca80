/**
 * The JSON manifest written beside a checkpoint's weights: enough to rebuild the policy's shape, to refuse a
 * configuration whose models differ, and to check the weights file is the one it describes.
 */
import { z } from "zod";
import { policyShapeFields } from "../config/policyShape.ts";
import { FACTORIZATIONS } from "../router/RouterHead.ts";

export const CHECKPOINT_FORMAT = "haps-router-checkpoint";
/** Bumped when a manifest or tensor layout change makes old readers wrong. */
export const CHECKPOINT_FORMAT_VERSION = 2;

const positiveInt = z.number().int().positive();

const oProjShape = z.object({ layer: z.number().int().nonnegative(), inWidth: positiveInt, outWidth: positiveInt }).strict();

const candidate = z
  .object({
    id: z.string().min(1),
    open: z.boolean(),
    architecture: z.string().min(1).optional(),
    blockCount: positiveInt.optional(),
    oProj: z.array(oProjShape).optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();

export const checkpointManifestSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    formatVersion: positiveInt,
    /** ISO 8601 time of writing. */
    created: z.string().min(1),
    /** Seed the weights were initialised from before training. */
    seed: z.number(),
    weights: z.object({ file: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    hyperparameters: z
      .object({
        featureWidth: positiveInt,
        trunkWidth: policyShapeFields.trunkWidth,
        hidden: policyShapeFields.hidden,
        rank: policyShapeFields.rank,
        lastLayers: policyShapeFields.lastLayers,
        loraAlpha: policyShapeFields.loraAlpha,
        temperature: policyShapeFields.temperature,
        activation: policyShapeFields.activation,
        shareTrunk: policyShapeFields.shareTrunk,
        factorization: z.enum(FACTORIZATIONS),
        initBStd: policyShapeFields.initBStd,
        headInitScale: policyShapeFields.headInitScale,
      })
      .strict(),
    /**
     * The feature the weights were trained on (router/FeatureKind.ts). Absent in checkpoints written before kinds were
     * recorded: those were all trained on the output feature.
     */
    feature: z
      .union([z.object({ source: z.literal("output") }).strict(), z.object({ source: z.literal("layer-input"), layer: z.number().int().nonnegative() }).strict()])
      .optional(),
    agents: z.array(z.string().min(1)).min(1),
    candidates: z.array(candidate).min(1),
    /**
     * Per-dimension mean and scale of the training items' routing features (router/FeatureStandardizer.ts), which the
     * trunk applies at query time; absent for an untrained policy (its trunk RMS-normalises).
     */
    featureStandardizer: z.object({ mean: z.array(z.number()), scale: z.array(z.number()) }).strict().optional(),
    /** Whatever else a trainer needs back (cost-normalisation statistics, step counts ...). Opaque here. */
    extra: z.record(z.string(), z.unknown()),
  })
  .strict();

export type CheckpointManifest = z.infer<typeof checkpointManifestSchema>;

/** Validates a parsed manifest; errors name `source` and every offending field. */
export function parseCheckpointManifest(raw: unknown, source: string): CheckpointManifest {
  if (raw && typeof raw === "object" && "formatVersion" in raw) {
    const v = (raw as { formatVersion: unknown }).formatVersion;
    if (typeof v === "number" && v > CHECKPOINT_FORMAT_VERSION) {
      throw new Error(`${source}: checkpoint format version ${v} is newer than this reader (${CHECKPOINT_FORMAT_VERSION}); update HAPS Router`);
    }
    if (typeof v === "number" && v < CHECKPOINT_FORMAT_VERSION) {
      throw new Error(`${source}: checkpoint format version ${v} predates the joint router head and the paper-shaped generator (version ${CHECKPOINT_FORMAT_VERSION}); train it again with \`haps train\``);
    }
  }
  const parsed = checkpointManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${source}: invalid checkpoint manifest\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}
