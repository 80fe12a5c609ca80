// `haps info`: what the runtime runs on, with the embedded models loaded.
import type { CliCommand } from "../CliCommand.ts";

export const infoCommand: CliCommand = {
  name: "info",
  summary: "the llama.cpp backend, GPU devices, threads and the embedded models",
  usage: `haps info [--json]

  --json   print the same facts as one JSON object`,
  // Loaded when the command runs, not when haps starts (see main.ts).
  run: async (args) => (await import("./runInfo.ts")).runInfo(args),
};
