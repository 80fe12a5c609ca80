// `haps proof` (npm run proof): the learning claim on the keyword benchmark (src/core/benchmark/runProof.ts). Writes
// proof/results.json and proof/report.md and exits 1 when a margin stated in advance is not met.
import path from "node:path";
import { PROOF_MARGINS, runProof } from "../../core/benchmark/runProof.ts";
import { defaultCacheDir } from "../../core/models/defaultModels.ts";
import { parseCliOptions } from "../cliOptions.ts";
import { progressPrinter } from "../progressBar.ts";

export async function runProofCommand(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, {
    out: { type: "string" },
    work: { type: "string" },
    seeds: { type: "string" },
    smoke: { type: "boolean" },
  });
  const seeds = values.seeds == null ? undefined : values.seeds.split(",").map((s) => Number(s.trim()));
  if (seeds != null && (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)))) throw new Error(`--seeds: expected integers separated by commas, got "${values.seeds}"`);
  const threads = typeof values.threads === "string" ? Number(values.threads) : undefined;
  const smoke = values.smoke === true;
  const resultsDir = path.resolve(values.out ?? "proof");
  const workDir = path.resolve(values.work ?? path.join(defaultCacheDir(), smoke ? "proof-smoke" : "proof"));
  process.stdout.write(
    `Margins stated before the run: HAPS - best fixed >= ${PROOF_MARGINS.vsBestFixed}, HAPS - without adapters >= ${PROOF_MARGINS.vsNoAdapter} (mean held-out reward over seeds).\n`,
  );
  const progress = progressPrinter();
  try {
    const results = await runProof({ workDir, resultsDir, seeds, smoke, threads, onProgress: progress.update, log: (line) => process.stderr.write(`${line}\n`) });
    progress.stop();
    const f = (x: number) => x.toFixed(3);
    process.stdout.write(
      `\nHeld-out reward (mean +- std over seeds ${results.seeds.join(", ")}):\n` +
        Object.entries(results.summary).map(([m, s]) => `  ${m.padEnd(30)} ${f(s.rewardMean)} +- ${f(s.rewardStd)}`).join("\n") +
        `\nHAPS - best fixed:       ${f(results.differences.vsBestFixed.mean)} +- ${f(results.differences.vsBestFixed.std)} (margin ${PROOF_MARGINS.vsBestFixed}: ${results.passed.vsBestFixed ? "met" : "NOT met"})` +
        `\nHAPS - without adapters: ${f(results.differences.vsNoAdapter.mean)} +- ${f(results.differences.vsNoAdapter.std)} (margin ${PROOF_MARGINS.vsNoAdapter}: ${results.passed.vsNoAdapter ? "met" : "NOT met"})` +
        `\n${results.seconds.toFixed(0)} s. Written: ${path.join(resultsDir, "results.json")}, ${path.join(resultsDir, "report.md")}\n`,
    );
    if (smoke) {
      process.stdout.write("Smoke run: the whole path ran; the margins are not required at this size.\n");
      return 0;
    }
    return results.passed.all ? 0 : 1;
  } finally {
    progress.stop();
  }
}
