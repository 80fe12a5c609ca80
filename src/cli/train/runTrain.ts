// `haps train --spec FILE`: action-level data, warm-up and joint RL (src/core/training), with a progress bar.
import { loadTrainSpec } from "../../core/training/TrainSpec.ts";
import { runTraining } from "../../core/training/Trainer.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions } from "../cliOptions.ts";
import { progressPrinter } from "../progressBar.ts";

export async function runTrain(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, { spec: { type: "string" }, concurrency: { type: "string" }, json: { type: "boolean" } });
  if (typeof values.spec !== "string") throw new Error("train: --spec FILE is required (see haps train --help)");
  const concurrency = values.concurrency == null ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency: expected a positive integer, got "${values.concurrency}"`);
  const spec = await loadTrainSpec(values.spec);
  if (typeof values.threads === "string") spec.threads = Number(values.threads);
  const progress = progressPrinter();
  try {
    const summary = await runTraining(spec, {
      concurrency,
      signal: context.signal,
      onProgress: progress.update,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    progress.stop();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(`Trained ${summary.seeds.length} seed(s) in ${summary.seconds.toFixed(0)} s; output in ${summary.out}\n`);
      for (const s of summary.seeds) {
        process.stdout.write(`  seed ${s.seed}: validation reward ${s.rl.bestValidReward.toFixed(4)} -> ${s.checkpoint}\n`);
        process.stdout.write(`    route with it: haps route --config ${s.configFile} --question "..."\n`);
      }
    }
    return 0;
  } finally {
    progress.stop();
  }
}
