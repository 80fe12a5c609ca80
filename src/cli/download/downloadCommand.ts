// `haps download`: its name and help; runDownload.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const downloadCommand: CliCommand = {
  name: "download",
  summary: "download models: a starter set (asks first), every hf:/https: model a configuration names, or one URI",
  usage: `haps download --starter [--yes] [--write-config FILE] [--dir DIR]
       haps download --config FILE [--dir DIR]
       haps download --uri URI [--sha256 HEX] [--dir DIR]

  --starter            propose a starter set (a ~1B router, two candidates, an embedding model) with sizes, ask,
                       download it and write a configuration that uses it
  --yes                download without asking (needed when stdin is not a terminal)
  --write-config FILE  where --starter writes its configuration (default: haps-starter.json here)
  --config FILE        download the hf: and http(s) model settings of a configuration, checking its sha256 fields
  --uri URI            one model: hf:<user>/<repo>/<file>.gguf, hf:<user>/<repo>:<quant> or an http(s) URL
  --sha256 HEX         the file's SHA-256; a download that differs is deleted
  --dir DIR            the model cache (default: $HAPS_MODELS_DIR, else $HAPS_CACHE_DIR/models, else the user's
                       ~/.cache/haps/models, which the VS Code extension shares; haps models lists it)

Downloads resume: run the same command again after an interruption (Ctrl-C keeps the partial file). A finished
file is checked (size, GGUF header, SHA-256 when given) and deleted if it fails. Hugging Face URIs use
$HF_ENDPOINT when set; a gated repository needs HF_TOKEN in the environment.`,
  run: async (args, context) => (await import("./runDownload.ts")).runDownload(args, context),
};
