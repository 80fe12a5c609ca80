// `haps eval`: its name and help; runEval.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const evalCommand: CliCommand = {
  name: "eval",
  summary: "compare HAPS with the baselines, its ablations and the cost regimes: results.json, report.md and SVG charts",
  usage: `haps eval --spec FILE --out DIR [--json] [--partial --seeds S[,S...] | --combine]

  --spec FILE   the evaluation spec (JSON): the data (a training spec's data and config, or "benchmark":
                {"name": "keyword"}), seeds, the training alpha and the cost regimes, methods, ablations, HAPS's
                training settings and the baselines' options; every field and its default:
                src/core/evaluation/EvalSpec.ts. examples/eval-smoke.json runs every method and ablation on a tiny
                cut of the keyword benchmark.
  --out DIR     where results.json, report.md and the charts go; the action-level data and checkpoints go to
                DIR/work unless the spec names another work folder
  --json        print the summary as one JSON object
  --partial     run only the seeds given by --seeds and write each one's result to DIR/seeds/seed-S.json (no
                report): run one process per seed side by side, sharing DIR (the shared data is written by one
                process at a time; the others wait for it)
  --seeds S,..  the seeds of the spec a --partial run runs
  --combine     results.json, report.md and the charts from DIR/seeds (every seed of the spec, made by this spec
                and one code version; a missing seed is named)

Per seed: the splits, the routing features and the action-level data (every item under every assignment without
adapters, shared with training), HAPS trained (warm-up, joint RL) for each configuration of its search and the one
with the best validation reward evaluated at every cost regime, the baselines (Random, each Fixed assignment, Oracle,
RouteLLM over all assignments and strong/weak, GraphRouter, IRT-Router, kNN, MLP, static adapters) with the same
search, and the ablations (without the high-level router, without the low-level router, without parameter sharing,
LoRA depth k). The report gives paired bootstrap intervals and McNemar/Wilcoxon p-values for every difference it
states, regret to the Oracle, and the cost-quality Pareto fronts. Held-out test items are never trained or calibrated
on. Run it again with the same --out to resume: finished seeds, episodes, trainings, baseline fits and static
adapters are not repeated.`,
  run: async (args, context) => (await import("./runEval.ts")).runEval(args, context),
};
