import { parseArgs, type ParseArgsConfig } from "node:util";
import { defaultThreads } from "../core/runtime/LlamaRuntime.ts";
import type { RuntimeOptions } from "../core/runtime/types.ts";

/** The options every command takes, for the help texts. */
export function commonOptionsHelp(): string {
  return (
    "common options:\n" +
    `  --threads N   llama.cpp threads per context (default: half the logical cores, at least 1: ${defaultThreads()} here)\n` +
    '  --gpu auto|cuda|vulkan|metal|off   GPU backend (default: auto, the GPU when there is one, else the CPU;\n' +
    "                a backend named here that this machine cannot run is an error)\n" +
    "  --help, -h    this help\n"
  );
}

/** `--threads` and `--gpu` as RuntimeOptions; a bad value names the option. */
export function runtimeOptionsFrom(values: { threads?: string | boolean; gpu?: string | boolean }): RuntimeOptions {
  const options: RuntimeOptions = {};
  if (typeof values.threads === "string") {
    const n = Number(values.threads);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--threads: expected a positive integer, got "${values.threads}"`);
    options.threads = n;
  }
  if (typeof values.gpu === "string") {
    const allowed = ["auto", "cuda", "vulkan", "metal", "off"];
    if (!allowed.includes(values.gpu)) throw new Error(`--gpu: expected one of ${allowed.join(", ")}, got "${values.gpu}"`);
    options.gpu = values.gpu === "off" ? false : (values.gpu as RuntimeOptions["gpu"]);
  }
  return options;
}

/** Shared option parsing: strict, so a typo is an error that names the option. */
export function parseCliOptions<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  return parseArgs({
    args,
    options: { threads: { type: "string" }, gpu: { type: "string" }, ...options } as T & {
      threads: { type: "string" };
      gpu: { type: "string" };
    },
    strict: true,
    allowPositionals: false,
  });
}
