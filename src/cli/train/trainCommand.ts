// `haps train`: its name and help; runTrain.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const trainCommand: CliCommand = {
  name: "train",
  summary: "train the router: action-level data, warm-up of the high-level router, joint RL with the LoRA generators",
  usage: `haps train --spec FILE [--concurrency N] [--json]

  --spec FILE        the training spec (JSON): data and splits, the models (a --config file or inline), alpha,
                     seeds and the output folder; every field and its default: src/core/training/TrainSpec.ts
  --concurrency N    episodes at once while collecting the action-level data (default 1)
  --json             print the summary as one JSON object

Runs every train and valid item under every assignment without adapters (the action-level data, appended as it
goes), warms the high-level router up on it, then trains the router and the LoRA generators jointly with
validation, early stopping and the best checkpoint written atomically. Run it again with the same spec to resume a
killed run: finished episodes are not run again and RL continues from its last validation.`,
  run: async (args, context) => (await import("./runTrain.ts")).runTrain(args, context),
};
