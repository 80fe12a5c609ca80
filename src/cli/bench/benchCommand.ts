// `haps bench`: its name and help; runBench.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const benchCommand: CliCommand = {
  name: "bench",
  summary: "speed and memory figures (medians with spread), written to bench/latest.json and bench/latest.md",
  usage: `haps bench [--out FILE] [--repeats N] [--soak N] [--adapter-soak N] [--only PART,...]

  --out FILE     the JSON result; the Markdown table goes beside it (default: bench/latest.json)
  --repeats N    repeats behind each timing (default: 15)
  --soak N       routes in the engine soak (default: 2000)
  --adapter-soak N  distinct adapters in the engine's memory soak (default: 20000)
  --only PARTS   run only these parts (comma-separated: cli, hypernetwork, adapterPath, routing, episodes, kvReuse,
                 pooling, bucketed, engineMemory, adapterSoak, soak, constrained); the JSON goes to --out if given, else only to the terminal`,
  // Loaded when the command runs, not when haps starts (see main.ts).
  run: async (args, context) => (await import("./runBench.ts")).runBench(args, context),
};
