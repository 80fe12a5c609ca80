// `haps models`: its name and help; runModels.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const modelsCommand: CliCommand = {
  name: "models",
  summary: "list the downloaded models (with sizes) or delete some: the cache the extension shares",
  usage: `haps models list [--dir DIR] [--json]
       haps models rm ID|URI... [--dir DIR]

  list        every model in the cache: its id, size and the URI it came from (largest first)
  rm          delete the models with these ids (as list shows them) or URIs
  --dir DIR   the model cache (default: $HAPS_MODELS_DIR, else $HAPS_CACHE_DIR/models, else ~/.cache/haps/models;
              the VS Code extension uses the same folder)
  --json      list as JSON`,
  run: async (args, context) => (await import("./runModels.ts")).runModels(args, context),
};
