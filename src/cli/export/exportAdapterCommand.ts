// `haps export-adapter`: its name and help; runExportAdapter.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const exportAdapterCommand: CliCommand = {
  name: "export-adapter",
  summary: "write the adapter HAPS generates for a question, as PEFT (vLLM, transformers) and llama.cpp GGUF files",
  usage: `haps export-adapter --question TEXT --out DIR [--choices "A|B|C"] [--config FILE] [--checkpoint DIR]
                    [--candidate ID] [--base-model NAME] [--json]

  --question TEXT    the query the adapter is generated for
  --choices "A|B"    options of a multiple-choice question (the routing prompt then names that task)
  --out DIR          one folder per open candidate: adapter_config.json + adapter_model.safetensors (PEFT) and
                     adapter.gguf (llama.cpp)
  --config FILE      the models (default: the embedded tiny models)
  --checkpoint DIR   a trained router (default: the configuration's router.checkpoint; none: the untrained policy)
  --candidate ID     only this candidate (default: every open one)
  --base-model NAME  base_model_name_or_path in adapter_config.json (default: a remote candidate's model name, a
                     local one's file name)
  --json             print the summary as one JSON object

The adapters target o_proj of the configured last layers, with the configured rank; the attach scale is folded
into alpha (lora_alpha in PEFT, adapter.lora.alpha in GGUF), so attach them at scale 1.`,
  run: async (args, context) => (await import("./runExportAdapter.ts")).runExportAdapter(args, context),
};
