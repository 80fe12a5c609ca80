// `haps eval --spec FILE --out DIR`: the evaluation (src/core/evaluation), with a progress bar and the main table.
import { loadEvalSpec } from "../../core/evaluation/EvalSpec.ts";
import { combineEvaluation, runEvaluation } from "../../core/evaluation/runEvaluation.ts";
import type { EvaluationOutcome } from "../../core/evaluation/types.ts";
import type { CliContext } from "../CliCommand.ts";
import { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { progressPrinter } from "../progressBar.ts";

export async function runEval(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, { spec: { type: "string" }, out: { type: "string" }, json: { type: "boolean" }, partial: { type: "boolean" }, seeds: { type: "string" }, combine: { type: "boolean" } });
  if (typeof values.spec !== "string") throw new Error("eval: --spec FILE is required (see haps eval --help)");
  if (typeof values.out !== "string") throw new Error("eval: --out DIR is required (see haps eval --help)");
  if (values.partial && values.combine) throw new Error("eval: --partial and --combine: give one (run seeds side by side with --partial --seeds S, then put them together with --combine)");
  if (values.seeds != null && !values.partial) throw new Error("eval: --seeds goes with --partial (a plain run runs every seed of the spec)");
  const seeds = values.seeds?.split(",").map((s) => Number(s.trim()));
  if (values.partial && (seeds == null || seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)))) throw new Error(`eval: --partial needs --seeds S[,S...] (integers separated by commas)${values.seeds == null ? "" : `, got "${values.seeds}"`}`);
  const spec = await loadEvalSpec(values.spec);
  if (values.combine) {
    const outcome = await combineEvaluation(spec, { outDir: values.out, log: (line) => process.stderr.write(`${line}\n`) });
    printOutcome(outcome, values.json === true);
    return 0;
  }
  // --threads and --gpu as every command takes them; the spec's threads when --threads is not given.
  const runtime = await LlamaRuntime.create({ threads: spec.threads, ...runtimeOptionsFrom(values) });
  const progress = progressPrinter();
  try {
    const outcome = await runEvaluation(spec, {
      partial: values.partial ? { seeds: seeds! } : undefined,
      outDir: values.out,
      runtime,
      signal: context.signal,
      onProgress: progress.update,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    progress.stop();
    if (outcome.summary == null) {
      if (values.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
      else process.stdout.write(`Partial run: ${outcome.seedFiles.join(", ")}; when every seed is done: haps eval --spec ${values.spec} --out ${values.out} --combine\n`);
      return 0;
    }
    printOutcome(outcome, values.json === true);
    return 0;
  } finally {
    progress.stop();
    await runtime.dispose();
  }
}

function printOutcome(outcome: EvaluationOutcome, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    return;
  }
  const s = outcome.summary;
  const width = Math.max(...s.methods.map((m) => m.name.length));
  process.stdout.write(`${s.dataset}: test items, alpha ${s.trainingAlpha}, mean over seeds ${s.seeds.join(", ")} (${s.seconds.toFixed(0)} s)\n`);
  process.stdout.write(`  ${"method".padEnd(width)}  quality  cost   reward\n`);
  for (const m of s.methods) {
    process.stdout.write(`  ${m.name.padEnd(width)}  ${m.quality.toFixed(3)}    ${m.normalisedCost.toFixed(3)}  ${m.reward.toFixed(3)}${m.failed > 0 ? `  (${m.failed} failed)` : ""}\n`);
  }
  process.stdout.write(`Written: ${outcome.reportFile}, ${outcome.resultsFile}, ${outcome.charts.map((c) => c.file).join(", ")}\n`);
}
