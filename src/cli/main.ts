// `haps`: the headless entry point. It runs the same engine as the extension, in-process.
import { fileURLToPath } from "node:url";
import { hasEngineAllocatorEnv } from "../core/engine/allocatorEnv.ts";
import { benchCommand } from "./bench/benchCommand.ts";
import type { CliCommand } from "./CliCommand.ts";
import { commonOptionsHelp } from "./cliOptions.ts";
import { demoCommand } from "./demo/demoCommand.ts";
import { downloadCommand } from "./download/downloadCommand.ts";
import { evalCommand } from "./eval/evalCommand.ts";
import { exportAdapterCommand } from "./export/exportAdapterCommand.ts";
import { infoCommand } from "./info/infoCommand.ts";
import { signalExitCode, watchInterrupts } from "./interrupts.ts";
import { launchCli } from "./launcher.ts";
import { proofCommand } from "./proof/proofCommand.ts";
import { devcheckCommand } from "./devcheck/devcheckCommand.ts";
import { routeCommand } from "./route/routeCommand.ts";
import { serveCommand } from "./serve/serveCommand.ts";
import { trainCommand } from "./train/trainCommand.ts";

/**
 * Every command, in the order `haps --help` lists them: a new command is one more entry. A command's definition is
 * its name and help; what it runs is imported only when it runs, so `haps --help` does not load zod, the GGUF
 * reader or the pipeline.
 */
const commands: CliCommand[] = [routeCommand, demoCommand, infoCommand, trainCommand, evalCommand, proofCommand, devcheckCommand, benchCommand, serveCommand, downloadCommand, exportAdapterCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return (
    "usage: haps <command> [options]   (haps <command> --help for its options)\n\ncommands:\n" +
    commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n`).join("") +
    `\n${commonOptionsHelp()}`
  );
}

const wantsHelp = (args: string[]) => args.includes("--help") || args.includes("-h");

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name == null || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name == null ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command == null) {
    process.stderr.write(`haps: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`usage: ${command.usage}\n\n${commonOptionsHelp()}`);
    return 0;
  }
  const interrupts = watchInterrupts();
  let code: number;
  try {
    code = await command.run(rest, { signal: interrupts.signal });
  } catch (error) {
    // An interrupted command's abort error is no news: the line saying it was interrupted is already out.
    if (interrupts.received == null) process.stderr.write(`haps ${name}: ${(error as Error).message}\n`);
    code = 1;
  }
  return interrupts.received ? signalExitCode(interrupts.received) : code;
}

// llama.cpp runs in this process, and glibc and V8 read their memory settings only at start-up (allocatorEnv.ts):
// without them (someone ran this bundle directly), start once more through the launcher.
if (!hasEngineAllocatorEnv()) {
  launchCli(fileURLToPath(import.meta.url), process.argv.slice(2));
} else {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
