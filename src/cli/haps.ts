// The `haps` executable (bin/haps.mjs imports its bundle, dist/haps.mjs): a small launcher that runs the CLI once,
// in a child process with the engine's memory settings (see launcher.ts). Run from the TypeScript sources (tests,
// under tsx) it starts main.ts; bundled, the CLI bundle beside it.
import { fileURLToPath } from "node:url";
import { launchCli } from "./launcher.ts";

const entry = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./main.ts" : "./cli.mjs", import.meta.url));
launchCli(entry, process.argv.slice(2));
