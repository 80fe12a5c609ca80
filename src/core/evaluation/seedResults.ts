// One seed's complete result on disk, so that seeds can run in processes side by side (`haps eval --partial --seeds
// S`) and be put together afterwards (`--combine`), and so that a resumed run skips the seeds it finished.
//
// A seed file holds everything the report needs from that seed (its SeedEvaluation) and the parts of results.json
// every seed shares (data, candidates, descriptors, overhead, versions), with a digest of the spec it was made by and
// the code version it ran. `combine` refuses files of another spec, of other code, or a missing seed, naming them.
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

/** What every seed of one evaluation shares in results.json. */
export type SharedResults = Omit<EvaluationResults, "seeds" | "perSeed" | "summary" | "comparisons" | "pareto" | "startedAt" | "seconds" | "processes">;

export interface SeedFile {
  format: "haps-evaluation-seed/1";
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

/** A finished seed a resumed run may keep: made by this spec and this code; null otherwise (the seed runs again). */
export async function reusableSeedFile(outDir: string, seed: number, digest: string, code: CodeVersions): Promise<SeedFile | null> {
  const file = seedFilePath(outDir, seed);
  if (!existsSync(file)) return null;
  try {
    const f = JSON.parse(await readFile(file, "utf8")) as SeedFile;
    return f.format === "haps-evaluation-seed/1" && f.specDigest === digest && f.code.gitCommit === code.gitCommit ? f : null;
  } catch {
    return null;
  }
}

/**
 * Every seed of the spec from its file: refused when one is missing (naming every missing seed and the command that
 * makes it), when one was made by another spec, or when the seeds ran different code.
 */
export async function readSeedFiles(outDir: string, spec: EvalSpec): Promise<SeedFile[]> {
  const missing = spec.seeds.filter((s) => !existsSync(seedFilePath(outDir, s)));
  if (missing.length > 0) {
    throw new Error(
      `${path.join(outDir, "seeds")}: no result for seed${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${spec.source} (seeds ${spec.seeds.join(", ")}); run \`haps eval --spec ${spec.source} --out ${outDir} --partial --seeds ${missing.join(",")}\` first`,
    );
  }
  const digest = specDigest(spec);
  const files: SeedFile[] = [];
  for (const seed of spec.seeds) {
    const file = seedFilePath(outDir, seed);
    let f: SeedFile;
    try {
      f = JSON.parse(await readFile(file, "utf8")) as SeedFile;
    } catch (error) {
      throw new Error(`${file}: not a seed result (${(error as Error).message}); run that seed again`);
    }
    if (f.format !== "haps-evaluation-seed/1" || f.result?.seed !== seed) throw new Error(`${file}: not the result of seed ${seed} (format ${String(f.format)}); run that seed again`);
    files.push(f);
  }
  const otherSpec = files.filter((f) => f.specDigest !== digest).map((f) => f.result.seed);
  if (otherSpec.length > 0) {
    throw new Error(`${path.join(outDir, "seeds")}: seed${otherSpec.length > 1 ? "s" : ""} ${otherSpec.join(", ")} ran from another spec than ${spec.source} (digest ${files.find((f) => f.specDigest !== digest)!.specDigest}, this spec's ${digest}); run ${otherSpec.length > 1 ? "them" : "it"} again with this spec`);
  }
  const commits = new Set(files.map((f) => f.code.gitCommit));
  if (commits.size > 1) {
    throw new Error(`${path.join(outDir, "seeds")}: the seeds ran different code (${files.map((f) => `seed ${f.result.seed}: ${f.code.gitCommit ?? "no git"}`).join(", ")}); run them again with one version`);
  }
  return files;
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
