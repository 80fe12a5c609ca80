// `haps info`: what the runtime runs on, with the embedded models loaded.
import { createEngineHandlers } from "../core/engine/handlers.ts";
import { announceDefaultModels } from "./announceDefaultModels.ts";
import type { CliCommand } from "./CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";
import { formatInfo } from "./formatInfo.ts";

export const infoCommand: CliCommand = {
  name: "info",
  summary: "the llama.cpp backend, GPU devices, threads and the embedded models",
  usage: `haps info [--json]

  --json   print the same facts as one JSON object`,
  run: async (args) => {
    const { values } = parseCliOptions(args, { json: { type: "boolean" } });
    await announceDefaultModels();
    const engine = createEngineHandlers({ ...runtimeOptionsFrom(values), onLog: (level, m) => (level === "warn" || level === "error") && console.error(m) });
    try {
      const info = await engine.runtimeInfo({ loadDefaultModels: true }, { signal: new AbortController().signal, emit: () => {} });
      process.stdout.write(values.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
      return 0;
    } finally {
      await engine.dispose();
    }
  },
};
