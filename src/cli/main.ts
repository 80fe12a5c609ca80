// `haps`: the headless entry point. It runs the same engine as the extension, in-process.
import { spawnSync } from "node:child_process";
import { ENGINE_ALLOCATOR_ENV, hasEngineAllocatorEnv } from "../core/engine/allocatorEnv.ts";
import { runDemo } from "./demo.ts";
import { runRoute } from "./route.ts";
import { runInfo } from "./info.ts";
import { runBench } from "./bench.ts";
import { runTrain } from "./train.ts";
import { runProofCommand } from "./proof.ts";

const usage = `usage: haps <command> [options]

commands:
  route   --question TEXT [--context FILE | --choices "A|B|C|D"] [--config FILE] [--alpha N] [--json]
  demo    one routed episode on the embedded models (and a HotpotQA item from ../shared/data when present)
  info    the llama.cpp backend, devices, threads and the embedded models
  train   --spec FILE   train the router: action-level data, warm-up, joint RL (see haps train --help)
  proof   the learning claim on the keyword benchmark, with margins stated in advance (see haps proof --help)
  bench   per-query adapter and episode timings and memory, written to bench/latest.json (--out FILE, --queries N)

common options:
  --threads N   llama.cpp threads (default: CPU cores)
  --gpu auto|cuda|vulkan|metal|off   (default: auto)
`;

const commands: Record<string, (args: string[]) => Promise<number>> = { route: runRoute, demo: runDemo, info: runInfo, bench: runBench, train: runTrain, proof: runProofCommand };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command == null || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(usage);
    return command == null ? 2 : 0;
  }
  const run = commands[command];
  if (run == null) {
    process.stderr.write(`haps: unknown command "${command}"\n\n${usage}`);
    return 2;
  }
  return await run(rest);
}

// llama.cpp runs in this process, and glibc reads its allocator settings only at start-up (see allocatorEnv.ts):
// start again with them, once.
if (process.platform === "linux" && !hasEngineAllocatorEnv()) {
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, ...ENGINE_ALLOCATOR_ENV },
  });
  process.exit(child.status ?? 1);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`haps: ${error.message}\n`);
    process.exit(1);
  },
);
