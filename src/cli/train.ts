// `haps train --spec FILE`: action-level data, warm-up and joint RL (src/core/training), with a progress bar.
import { loadTrainSpec } from "../core/training/TrainSpec.ts";
import { runTraining } from "../core/training/Trainer.ts";
import { parseCliOptions } from "./cliOptions.ts";
import { progressPrinter } from "./progressBar.ts";

export const trainUsage = `usage: haps train --spec FILE [--concurrency N] [--json]

Trains the HAPS router on a data set: every item under every assignment without adapters (the action-level data,
resumable), a warm-up of the high-level router on it, then joint RL of the router and the LoRA generators with
validation and early stopping. The spec (JSON) names the data and splits, the models (a --config file or inline),
alpha, seeds and the output folder; see src/core/training/TrainSpec.ts for every field and its default.
Run again with the same spec to resume a killed run.
`;

export async function runTrain(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, { spec: { type: "string" }, concurrency: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(trainUsage);
    return 0;
  }
  if (typeof values.spec !== "string") throw new Error(`train: --spec FILE is required\n\n${trainUsage}`);
  const concurrency = values.concurrency == null ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`--concurrency: expected a positive integer, got "${values.concurrency}"`);
  const spec = await loadTrainSpec(values.spec);
  if (typeof values.threads === "string") spec.threads = Number(values.threads);
  const progress = progressPrinter();
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  try {
    const summary = await runTraining(spec, {
      concurrency,
      signal: controller.signal,
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
    process.off("SIGINT", onSignal);
  }
}
