// `haps eval --spec FILE --out DIR`: the evaluation (src/core/evaluation), with a progress bar and the main table.
import { loadEvalSpec } from "../../core/evaluation/EvalSpec.ts";
import { runEvaluation } from "../../core/evaluation/runEvaluation.ts";
import type { CliContext } from "../CliCommand.ts";
import { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { progressPrinter } from "../progressBar.ts";

export async function runEval(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, { spec: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } });
  if (typeof values.spec !== "string") throw new Error("eval: --spec FILE is required (see haps eval --help)");
  if (typeof values.out !== "string") throw new Error("eval: --out DIR is required (see haps eval --help)");
  const spec = await loadEvalSpec(values.spec);
  // --threads and --gpu as every command takes them; the spec's threads when --threads is not given.
  const runtime = await LlamaRuntime.create({ threads: spec.threads, ...runtimeOptionsFrom(values) });
  const progress = progressPrinter();
  try {
    const outcome = await runEvaluation(spec, {
      outDir: values.out,
      runtime,
      signal: context.signal,
      onProgress: progress.update,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    progress.stop();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
      return 0;
    }
    const s = outcome.summary;
    const width = Math.max(...s.methods.map((m) => m.name.length));
    process.stdout.write(`${s.dataset}: test items, alpha ${s.trainingAlpha}, mean over seeds ${s.seeds.join(", ")} (${s.seconds.toFixed(0)} s)\n`);
    process.stdout.write(`  ${"method".padEnd(width)}  quality  cost   reward\n`);
    for (const m of s.methods) {
      process.stdout.write(`  ${m.name.padEnd(width)}  ${m.quality.toFixed(3)}    ${m.normalisedCost.toFixed(3)}  ${m.reward.toFixed(3)}${m.failed > 0 ? `  (${m.failed} failed)` : ""}\n`);
    }
    process.stdout.write(`Written: ${outcome.reportFile}, ${outcome.resultsFile}, ${outcome.charts.map((c) => c.file).join(", ")}\n`);
    return 0;
  } finally {
    progress.stop();
    await runtime.dispose();
  }
}
