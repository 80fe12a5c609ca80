/**
 * Checkpoints of a HAPS policy: every weight (head, trunk or trunks, generators) in one safetensors file, and a JSON
 * manifest describing the models, agents and hyperparameters they were trained for.
 *
 * A policy only makes sense for the models it was trained with: the head's outputs are tied to the candidate order
 * and the generators' heads to each model's o_proj widths. So loading against a configuration compares the two and
 * refuses any difference in shape or identity, naming the model and the field; only the routing temperature, a
 * decoding setting, is taken from the configuration.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { OUTPUT_FEATURE, describeFeatureKind, sameFeatureKind, type FeatureKind } from "../router/FeatureKind.ts";
import { FeatureStandardizer } from "../router/FeatureStandardizer.ts";
import { HapsPolicy } from "../router/HapsPolicy.ts";
import { resolveHapsPolicyConfig, type HapsPolicyConfig, type ResolvedHapsPolicyConfig } from "../router/HapsPolicyConfig.ts";
import type { ActivationKind } from "../nn/activation.ts";
import type { Factorization } from "../router/RouterHead.ts";
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, parseCheckpointManifest, type CheckpointManifest } from "./CheckpointManifest.ts";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";

export const MANIFEST_FILE = "manifest.json";
/** Weights files are named after their content (`weights-<first 16 hex digits of sha256>.safetensors`). */
const WEIGHTS_PATTERN = /^weights-[0-9a-f]{16}\.safetensors$/;

export interface SaveCheckpointOptions {
  /** Opaque data returned by `loadCheckpoint` (e.g. cost-normalisation statistics). Must be JSON. Defaults to `{}`. */
  extra?: Record<string, unknown>;
  /** Written as the manifest's creation time. Defaults to now. */
  created?: Date;
}

export interface LoadedCheckpoint {
  policy: HapsPolicy;
  manifest: CheckpointManifest;
}

/**
 * Writes `dir/weights-<hash>.safetensors` and `dir/manifest.json` (creating `dir`), crash-safely: the weights go to a
 * file named after their content (temporary name, fsync, rename), then the manifest that names them replaces the old
 * one the same way. That rename is the commit: a crash at any point leaves either the previous checkpoint or the new
 * one, each complete, never a manifest describing other weights. Weights no manifest names any more are deleted last.
 */
export async function saveCheckpoint(policy: HapsPolicy, dir: string, options: SaveCheckpointOptions = {}): Promise<CheckpointManifest> {
  const extra = options.extra ?? {};
  let extraJson: string;
  try {
    extraJson = JSON.stringify(extra);
  } catch (e) {
    throw new Error(`saveCheckpoint: extra is not JSON-serialisable (${(e as Error).message})`);
  }
  if (!extra || typeof extra !== "object" || Array.isArray(extra)) throw new Error("saveCheckpoint: extra must be a plain object");
  const weights = encodeSafetensors(
    [...policy.parameters()].map(([name, p]) => [name, { shape: [...p.shape], data: p.data }]),
    { format: CHECKPOINT_FORMAT },
  );
  const c = policy.config;
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    created: (options.created ?? new Date()).toISOString(),
    seed: c.seed,
    weights: { file: `weights-${sha256(weights).slice(0, 16)}.safetensors`, sha256: sha256(weights) },
    hyperparameters: {
      featureWidth: c.featureWidth,
      trunkWidth: c.trunkWidth,
      hidden: c.hidden,
      rank: c.rank,
      lastLayers: c.lastLayers,
      loraAlpha: c.loraAlpha,
      temperature: c.temperature,
      activation: c.activation,
      shareTrunk: c.shareTrunk,
      factorization: c.factorization,
      initBStd: c.initBStd,
      headInitScale: c.headInitScale,
    },
    feature: { ...c.feature },
    agents: [...c.agents],
    candidates: c.candidates.map((m) => ({ ...m, oProj: m.oProj?.map((o) => ({ ...o })) })).map(dropUndefined),
    ...(policy.featureStandardizer != null ? { featureStandardizer: policy.featureStandardizer.toJSON() } : {}),
    extra: JSON.parse(extraJson),
  };
  await mkdir(dir, { recursive: true });
  await writeAtomically(path.join(dir, manifest.weights.file), weights);
  await writeAtomically(path.join(dir, MANIFEST_FILE), new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"));
  for (const name of await readdir(dir)) {
    if (WEIGHTS_PATTERN.test(name) && name !== manifest.weights.file) await rm(path.join(dir, name), { force: true });
  }
  return manifest;
}

/**
 * Reads a checkpoint directory and rebuilds its policy. With `expected`, the checkpoint must have been trained for
 * that configuration (same agents, candidates, model widths and hyperparameters); otherwise this throws an error
 * listing every difference.
 */
export async function loadCheckpoint(dir: string, expected?: HapsPolicyConfig): Promise<LoadedCheckpoint> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const manifest = await readCheckpointManifest(dir);
  const stored = configFromManifest(manifest, manifestPath);
  let config = stored;
  if (expected !== undefined) {
    const wanted = resolveHapsPolicyConfig(expected);
    assertCompatible(stored, wanted, dir);
    config = { ...stored, temperature: wanted.temperature };
  }

  if (path.basename(manifest.weights.file) !== manifest.weights.file) {
    throw new Error(`${manifestPath}: weights.file must be a file name inside the checkpoint directory, got "${manifest.weights.file}"`);
  }
  const weightsPath = path.join(dir, manifest.weights.file);
  const bytes = await readBytes(weightsPath);
  const actual = sha256(bytes);
  if (actual !== manifest.weights.sha256) {
    throw new Error(`${weightsPath}: sha256 ${actual} does not match the manifest (${manifest.weights.sha256}); the weights file was changed or truncated`);
  }
  const { tensors } = decodeSafetensors(bytes, weightsPath);
  const policy = new HapsPolicy(config);
  if (manifest.featureStandardizer != null) {
    const s = FeatureStandardizer.fromJSON(manifest.featureStandardizer, `${manifestPath}: featureStandardizer`);
    if (s.width !== config.featureWidth) throw new Error(`${manifestPath}: featureStandardizer has width ${s.width}, the policy reads features of width ${config.featureWidth}`);
    policy.featureStandardizer = s;
  }
  const params = policy.parameters();
  const missing = params.names().filter((n) => !tensors.has(n));
  const unexpected = [...tensors.keys()].filter((n) => !params.has(n));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(", ")}`);
    if (unexpected.length > 0) parts.push(`unexpected ${unexpected.join(", ")}`);
    throw new Error(`${weightsPath}: tensors do not match the manifest's policy: ${parts.join("; ")}`);
  }
  for (const [name, p] of params) {
    const t = tensors.get(name)!;
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`${weightsPath}: tensor "${name}" has shape [${t.shape.join(", ")}], the policy needs [${p.shape.join(", ")}]`);
    }
    p.data.set(t.data);
  }
  return { policy, manifest };
}

/** The feature a checkpoint was trained on, from its manifest alone (checked): what `router.feature: "auto"` reads. */
export async function checkpointFeature(dir: string): Promise<FeatureKind> {
  return configFromManifest(await readCheckpointManifest(dir), path.join(dir, MANIFEST_FILE)).feature;
}

async function readCheckpointManifest(dir: string): Promise<CheckpointManifest> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  const manifestText = await readText(manifestPath);
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (e) {
    throw new Error(`${manifestPath}: not valid JSON (${(e as Error).message})`);
  }
  return parseCheckpointManifest(raw, manifestPath);
}

/**
 * Throws one error listing every way `stored` (a checkpoint's configuration) differs from `wanted` in something
 * the weights depend on: hyperparameters, agents, candidates (order, open flag, identity, o_proj widths).
 */
export function assertCompatible(stored: ResolvedHapsPolicyConfig, wanted: ResolvedHapsPolicyConfig, where: string): void {
  const problems: string[] = [];
  if (!sameFeatureKind(stored.feature, wanted.feature)) {
    problems.push(
      `the router feature is ${describeFeatureKind(stored.feature)} in the checkpoint, ${describeFeatureKind(wanted.feature)} in the configuration ` +
        "(router.feature): a head trained on one feature cannot read another; set router.feature to the checkpoint's or train again",
    );
  }
  for (const key of ["featureWidth", "trunkWidth", "hidden", "rank", "lastLayers", "loraAlpha", "activation", "shareTrunk", "factorization"] as const) {
    if (stored[key] !== wanted[key]) problems.push(`${key} is ${String(stored[key])} in the checkpoint, ${String(wanted[key])} in the configuration`);
  }
  if (stored.agents.join("\u0000") !== wanted.agents.join("\u0000")) {
    problems.push(`agents are [${stored.agents.join(", ")}] in the checkpoint, [${wanted.agents.join(", ")}] in the configuration`);
  }
  const storedIds = stored.candidates.map((m) => m.id);
  const wantedIds = wanted.candidates.map((m) => m.id);
  for (const id of wantedIds) if (!storedIds.includes(id)) problems.push(`model "${id}" is not in the checkpoint`);
  for (const id of storedIds) if (!wantedIds.includes(id)) problems.push(`model "${id}" is in the checkpoint but not in the configuration`);
  if (problems.length === 0 && storedIds.join("\u0000") !== wantedIds.join("\u0000")) {
    problems.push(`candidates are ordered [${storedIds.join(", ")}] in the checkpoint, [${wantedIds.join(", ")}] in the configuration`);
  }
  for (const w of wanted.candidates) {
    const s = stored.candidates.find((m) => m.id === w.id);
    if (!s) continue;
    const model = `model "${w.id}"`;
    if (s.open !== w.open) problems.push(`${model} is ${s.open ? "open" : "closed"} in the checkpoint, ${w.open ? "open" : "closed"} in the configuration`);
    if (!s.open || !w.open) continue;
    if (s.architecture !== w.architecture) problems.push(`${model}: architecture is "${s.architecture}" in the checkpoint, "${w.architecture}" in the configuration`);
    if (s.blockCount !== w.blockCount) problems.push(`${model}: blockCount is ${s.blockCount} in the checkpoint, ${w.blockCount} in the configuration`);
    if (s.sha256 && w.sha256 && s.sha256 !== w.sha256) problems.push(`${model}: file sha256 is ${s.sha256} in the checkpoint, ${w.sha256} in the configuration`);
    for (const wo of w.oProj ?? []) {
      const so = s.oProj?.find((o) => o.layer === wo.layer);
      if (!so) continue;
      for (const field of ["inWidth", "outWidth"] as const) {
        if (so[field] !== wo[field]) problems.push(`${model}: layer ${wo.layer} o_proj ${field} is ${so[field]} in the checkpoint, ${wo[field]} in the configuration`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`Checkpoint ${where} does not match the configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** The policy configuration a manifest describes (checked like any configuration). */
export function configFromManifest(manifest: CheckpointManifest, source: string): ResolvedHapsPolicyConfig {
  const h = manifest.hyperparameters;
  try {
    return resolveHapsPolicyConfig({
      ...h,
      activation: h.activation as ActivationKind,
      factorization: h.factorization as Factorization,
      feature: manifest.feature ?? OUTPUT_FEATURE,
      agents: manifest.agents,
      candidates: manifest.candidates,
      seed: manifest.seed,
    });
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Temporary file, fsync, rename, fsync of the directory: the file is either the old one or the new one, whole. */
export async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  const dir = await open(path.dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new Error(`Cannot read checkpoint manifest ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new Error(`Cannot read checkpoint weights ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
