// `haps proof` (npm run proof): the learning claim on the keyword benchmark (src/core/benchmark/runProof.ts). Reads
// the pre-registered margins and seeds from proof/margins.json, writes proof/results.json and proof/report.md, and
// exits 1 when a margin is not met.
import path from "node:path";
import { loadProofMargins, prepareProof, runProof } from "../../core/benchmark/runProof.ts";
import { defaultCacheDir } from "../../core/models/defaultModels.ts";
import { parseCliOptions } from "../cliOptions.ts";
import { progressPrinter } from "../progressBar.ts";
import { runSeedProcesses } from "./seedProcesses.ts";

export async function runProofCommand(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, {
    out: { type: "string" },
    work: { type: "string" },
    seeds: { type: "string" },
    margins: { type: "string" },
    smoke: { type: "boolean" },
    partial: { type: "boolean" },
    combine: { type: "boolean" },
    "static-under-router": { type: "boolean" },
    jobs: { type: "string" },
  });
  const seeds = values.seeds == null ? undefined : values.seeds.split(",").map((s) => Number(s.trim()));
  if (seeds != null && (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)))) throw new Error(`--seeds: expected integers separated by commas, got "${values.seeds}"`);
  const threads = typeof values.threads === "string" ? Number(values.threads) : undefined;
  const smoke = values.smoke === true;
  const partial = values.partial === true;
  const combine = values.combine === true;
  if (partial && combine) throw new Error("--partial and --combine: give one (run seeds side by side with --partial, then judge them with --combine)");
  const marginsFile = path.resolve(values.margins ?? path.join("proof", "margins.json"));
  const margins = await loadProofMargins(marginsFile);
  const resultsDir = path.resolve(values.out ?? "proof");
  const workDir = path.resolve(values.work ?? path.join(defaultCacheDir(), smoke ? "proof-smoke" : "proof"));
  process.stdout.write(
    `Margins from ${path.relative(process.cwd(), marginsFile)}: HAPS - best fixed with its static adapter >= ${margins.vsBestFixedStatic}, HAPS - without adapters >= ${margins.vsNoAdapter}, ` +
      `HAPS on the context group - static bound >= ${margins.contextOverStaticBound}, at alpha ${margins.costRegimeAlpha} HAPS >= every fixed assignment and baseline; ` +
      `${combine ? `judging seeds ${(seeds ?? margins.seeds).join(", ")} from their partial runs` : partial ? "a partial run (judged by --combine)" : seeds == null && !smoke ? `the pre-registered seeds ${margins.seeds.join(", ")}` : "a development run (not judged)"}.\n`,
  );
  const staticUnderRouter = values["static-under-router"] === true;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // A whole run goes side by side: one process per seed, then --combine (seedProcesses.ts); --jobs 1 keeps one process.
  const runSeeds = seeds ?? (smoke ? [1] : margins.seeds);
  const jobs = values.jobs == null ? runSeeds.length : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs: expected a positive integer, got "${values.jobs}"`);
  const sideBySide = !partial && !combine && jobs > 1 && runSeeds.length > 1;
  const progress = progressPrinter();
  try {
    const preparedSince = Date.now();
    if (sideBySide) {
      log(`preparing the benchmark and its action-level rows once, then ${runSeeds.length} seed processes, ${Math.min(jobs, runSeeds.length)} at a time`);
      await prepareProof({ workDir, marginsFile, smoke, threads, onProgress: progress.update, log });
      progress.stop();
      const childArgs = ["--work", workDir, "--margins", marginsFile, ...(threads == null ? [] : ["--threads", String(threads)]), ...(staticUnderRouter ? ["--static-under-router"] : []), ...(smoke ? ["--smoke"] : [])];
      await runSeedProcesses({ seeds: runSeeds, args: childArgs, jobs, workDir, log });
    }
    const results = await runProof({ workDir, resultsDir, marginsFile, seeds, smoke, partial, combine: combine || sideBySide, ...(sideBySide ? { preparedSince } : {}), staticUnderRouter, threads, onProgress: progress.update, log });
    progress.stop();
    const f = (x: number) => x.toFixed(3);
    const d = results.differences;
    process.stdout.write(
      `\nHeld-out reward at alpha 0 (mean +- std over seeds ${results.seeds.join(", ")}):\n` +
        Object.entries(results.summary["0"]).map(([m, s]) => `  ${m.padEnd(40)} ${f(s.rewardMean)} +- ${f(s.rewardStd)}`).join("\n") +
        `\nHAPS - best fixed + static adapter: ${f(d.vsBestFixedStatic.mean)} +- ${f(d.vsBestFixedStatic.std)} (${results.passed.vsBestFixedStatic ? "met" : "NOT met"})` +
        `\nHAPS - without adapters:            ${f(d.vsNoAdapter.mean)} +- ${f(d.vsNoAdapter.std)} (${results.passed.vsNoAdapter ? "met" : "NOT met"})` +
        `\nHAPS on context - static bound:     ${f(d.contextOverStaticBound.mean)} +- ${f(d.contextOverStaticBound.std)} (${results.passed.contextOverStaticBound ? "met" : "NOT met"})` +
        `\nAt alpha ${margins.costRegimeAlpha}, HAPS >= every fixed assignment and baseline: ${results.passed.costRegime ? "met" : "NOT met"}` +
        // A partial run writes only its seed's results (said below), not results.json and report.md.
        `\n${results.seconds.toFixed(0)} s.${partial ? "" : ` Written: ${path.join(resultsDir, "results.json")}, ${path.join(resultsDir, "report.md")}`}\n`,
    );
    if (partial) {
      process.stdout.write(`Partial run: seed results written to ${path.join(workDir, "seed-results")}; judge them with --combine.\n`);
      return 0;
    }
    if (smoke) {
      process.stdout.write("Smoke run: the whole path ran; the margins are not required at this size.\n");
      return 0;
    }
    if (!results.judged) {
      process.stdout.write("Development run (seeds from the command line): not judged.\n");
      return results.passed.all ? 0 : 1;
    }
    return results.passed.all ? 0 : 1;
  } finally {
    progress.stop();
  }
}
