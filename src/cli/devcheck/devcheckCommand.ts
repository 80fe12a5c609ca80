// `haps devcheck` (npm run devcheck): its name and help; runDevcheck.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const devcheckCommand: CliCommand = {
  name: "devcheck",
  summary: "HAPS against a kNN router, and alpha on the trained head, on the development benchmark (exit 1 when unmet)",
  usage: `haps devcheck [--out DIR] [--work DIR] [--seeds 1,2,3] [--train N --valid N --test N] [--feature auto|output]

  --out DIR       where verdict.json, report.md and results.json go (default: docs/dev-benchmark/)
  --work DIR      models, items, action-level rows and checkpoints (default: the cache folder's devcheck/)
  --seeds LIST    training seeds (default 1,2,3)
  --train N       training items (default 32; --valid 16, --test 24)
  --feature F     the router's feature: auto (the default setting) or output

Writes the development benchmark (two 2-block candidates with known skills, one of them as the router LLM), runs
haps eval on it with the default training settings, and requires (src/core/benchmark/devCheck.ts): HAPS's held-out
quality at alpha 0 at least the kNN router's minus 0.05 (mean over seeds), and alpha acting as a price on every seed's
trained head.`,
  run: async (args) => (await import("./runDevcheck.ts")).runDevcheckCommand(args),
};
