// One seed's complete result on disk, so that seeds can run in processes side by side (`haps eval --partial --seeds
// S`) and be put together afterwards (`--combine`), and so that a resumed run skips the seeds it finished.
//
// A seed file holds everything the report needs from that seed (its SeedEvaluation) and the parts of results.json
// every seed shares (data, candidates, descriptors, overhead, versions), with a digest of the spec it was made by and
// the code version it ran. `combine` refuses files of another spec, of other code than its own, or a missing seed,
// naming the file and the field (seedFileMismatch).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { EvalSpec } from "./EvalSpec.ts";
import { buildComparisons } from "./comparisons.ts";
import { summarisePareto } from "./paretoSummary.ts";
import { summarise } from "./summarise.ts";
import type { EvaluationResults, SeedEvaluation } from "./types.ts";
import type { CodeVersions } from "./versions.ts";

const SEED_FORMAT = "haps-evaluation-seed/1";

/** What every seed of one evaluation shares in results.json. */
export type SharedResults = Omit<EvaluationResults, "seeds" | "perSeed" | "summary" | "comparisons" | "pareto" | "startedAt" | "seconds" | "processes">;

export interface SeedFile {
  format: typeof SEED_FORMAT;
  /** specDigest() of the spec that made it. */
  specDigest: string;
  code: CodeVersions;
  shared: SharedResults;
  result: SeedEvaluation;
  /** When the process that ran this seed started and when the seed was written (ISO). */
  startedAt: string;
  endedAt: string;
}

/**
 * A short digest of what the spec asks for (its parsed form: data, models, settings, seeds, methods), so that seeds
 * run from one spec are recognised and seeds from an edited spec are not mixed with them. Where the spec was read
 * from is left out: the same spec copied elsewhere is the same spec.
 */
export function specDigest(spec: EvalSpec): string {
  const { raw: _raw, source: _source, ...rest } = spec;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

export const seedFilePath = (outDir: string, seed: number): string => path.join(outDir, "seeds", `seed-${seed}.json`);

/** Written whole to a temporary name and renamed: an interrupted write never leaves half a seed. */
export async function writeSeedFile(outDir: string, file: SeedFile): Promise<string> {
  const target = seedFilePath(outDir, file.result.seed);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.${process.pid}.tmp`, `${JSON.stringify(file, null, 2)}\n`);
  await rename(`${target}.${process.pid}.tmp`, target);
  return target;
}

/**
 * Why `f` may not stand for `seed` of the spec with digest `digest` run by `code`, naming the field; null when it may.
 * A seed's figures go into the report unchecked, so a file must say it was made by this spec (its digest) and this
 * code (package version, git commit, dirty flag as collectCodeVersions reads them): a stale file from other code, or
 * one copied in from another run, is refused rather than mixed in.
 */
export function seedFileMismatch(f: unknown, seed: number, digest: string, code: CodeVersions): string | null {
  if (f == null || typeof f !== "object" || Array.isArray(f)) return "not a JSON object";
  const file = f as Partial<SeedFile>;
  const show = (v: unknown) => (v === undefined ? "missing" : JSON.stringify(v));
  if (file.format !== SEED_FORMAT) return `format is ${show(file.format)}, not "${SEED_FORMAT}"`;
  if (file.result == null || typeof file.result !== "object") return "result is missing";
  if (file.result.seed !== seed) return `result.seed is ${show(file.result.seed)}, not ${seed}`;
  if (file.specDigest !== digest) return `specDigest is ${show(file.specDigest)}, but this spec's is "${digest}" (the seed ran from another spec)`;
  if (file.code == null || typeof file.code !== "object") return "code is missing";
  for (const key of ["package", "gitCommit", "gitDirty"] as const) {
    if (file.code[key] !== code[key]) return `code.${key} is ${show(file.code[key])}, but this code's is ${show(code[key])} (the seed ran other code)`;
  }
  if (file.shared == null || typeof file.shared !== "object") return "shared is missing";
  for (const key of ["startedAt", "endedAt"] as const) {
    if (typeof file[key] !== "string" || !Number.isFinite(Date.parse(file[key]))) return `${key} is ${show(file[key])}, not a time`;
  }
  if (Date.parse(file.endedAt!) < Date.parse(file.startedAt!)) return `endedAt ${file.endedAt} is before startedAt ${file.startedAt}`;
  return null;
}

/** A finished seed a resumed run may keep: made by this spec and this code; null otherwise (the seed runs again). */
export async function reusableSeedFile(outDir: string, seed: number, digest: string, code: CodeVersions): Promise<SeedFile | null> {
  const file = seedFilePath(outDir, seed);
  if (!existsSync(file)) return null;
  try {
    const f = JSON.parse(await readFile(file, "utf8")) as unknown;
    return seedFileMismatch(f, seed, digest, code) == null ? (f as SeedFile) : null;
  } catch {
    return null;
  }
}

/**
 * Every seed of the spec from its file, each checked against this spec and the code that combines them
 * (seedFileMismatch): refused when one is missing (naming every missing seed and the command that makes it), broken,
 * made by another spec or other code (naming each file and its field), or when the seeds disagree on what they share
 * (naming the field): results.json takes those parts from the first seed.
 */
export async function readSeedFiles(outDir: string, spec: EvalSpec, code: CodeVersions): Promise<SeedFile[]> {
  const missing = spec.seeds.filter((s) => !existsSync(seedFilePath(outDir, s)));
  if (missing.length > 0) {
    throw new Error(
      `${path.join(outDir, "seeds")}: no result for seed${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${spec.source} (seeds ${spec.seeds.join(", ")}); run \`haps eval --spec ${spec.source} --out ${outDir} --partial --seeds ${missing.join(",")}\` first`,
    );
  }
  const digest = specDigest(spec);
  const files: SeedFile[] = [];
  const refused: string[] = [];
  for (const seed of spec.seeds) {
    const file = seedFilePath(outDir, seed);
    let f: unknown;
    try {
      f = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      refused.push(`${file}: not a seed result (${(error as Error).message})`);
      continue;
    }
    const mismatch = seedFileMismatch(f, seed, digest, code);
    if (mismatch != null) refused.push(`${file}: ${mismatch}`);
    else files.push(f as SeedFile);
  }
  if (refused.length > 0) {
    const seeds = spec.seeds.filter((s) => refused.some((r) => r.startsWith(`${seedFilePath(outDir, s)}:`)));
    throw new Error(`${refused.join("; ")}; run seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")} again with this spec and this code (\`haps eval --spec ${spec.source} --out ${outDir} --partial --seeds ${seeds.join(",")}\`)`);
  }
  // Where the spec file was read from is not part of the spec (specDigest); everything else shared must agree.
  const comparable = (f: SeedFile) => ({ ...f.shared, spec: { ...f.shared.spec, source: null } });
  for (const f of files.slice(1)) {
    const where = firstDifference(comparable(f), comparable(files[0]), "shared");
    if (where != null) {
      throw new Error(`${seedFilePath(outDir, f.result.seed)}: ${where} differs from seed ${files[0].result.seed}'s (${seedFilePath(outDir, files[0].result.seed)}); the seeds did not run on the same data, models and code: run them again with one version`);
    }
  }
  return files;
}

/** The path of the first place where two JSON values differ, or null when they are equal. */
function firstDifference(a: unknown, b: unknown, at: string): string | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}.length`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d != null) return d;
    }
    return null;
  }
  if (a != null && b != null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d != null) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : at;
}

/** results.json from the shared parts and the seeds' results: the summary, the comparisons and the fronts over seeds. */
export function assembleResults(shared: SharedResults, perSeed: SeedEvaluation[], timing: { startedAt: string; seconds: number; processes: number }): EvaluationResults {
  const results: EvaluationResults = {
    ...shared,
    seeds: perSeed.map((s) => s.seed),
    perSeed,
    summary: summarise(perSeed),
    comparisons: { level: 0, resamples: 0, bestBaseline: {}, vsBestBaseline: [], regret: [], order: [] },
    pareto: [],
    startedAt: timing.startedAt,
    seconds: timing.seconds,
    processes: timing.processes,
  };
  results.comparisons = buildComparisons(results);
  results.pareto = summarisePareto(results);
  return results;
}
