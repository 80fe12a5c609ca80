// Starts the CLI in a child process with the engine's memory settings, which glibc and V8 read only at start-up
// (allocatorEnv.ts), and stays with it: signals are forwarded, the child's exit status is passed on, and a child
// killed by a signal is reported with the signal's name - a native crash inside llama.cpp is never a silent exit 1.
// This module stays small (node built-ins and allocatorEnv.ts only), so `haps` loads the CLI bundle once.
import { spawn } from "node:child_process";
import { ENGINE_ALLOCATOR_ENV, ENGINE_NODE_FLAGS } from "../core/engine/allocatorEnv.ts";
import { signalExitCode } from "./interrupts.ts";

/** How long the child may take to stop after a forwarded signal before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** What a person should read when the CLI's process died of `signal`. */
export function describeChildSignal(signal: NodeJS.Signals): string {
  switch (signal) {
    case "SIGINT":
    case "SIGTERM":
    case "SIGHUP":
      return `interrupted (${signal})`;
    case "SIGKILL":
      return "killed by SIGKILL (out of memory? the kernel's OOM killer sends it; so does `kill -9`)";
    case "SIGABRT":
      return "crashed: the process aborted (SIGABRT), as llama.cpp does on a failed check; its own message, if any, is above";
    case "SIGSEGV":
    case "SIGBUS":
    case "SIGILL":
    case "SIGFPE":
      return `crashed: native code failed with ${signal} (inside llama.cpp or another native module); its own message, if any, is above`;
    default:
      return `ended by signal ${signal}`;
  }
}

/**
 * Runs `entry` (the CLI's main module) in a child Node process with `args`, this process's Node flags, the engine's
 * V8 flags and allocator environment, and exits with the child's status (128 + n when it died of signal n).
 */
export function launchCli(entry: string, args: string[]): void {
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, ...process.execArgv, entry, ...args], {
    // The IPC channel lets the child notice when this process dies, even by SIGKILL (see interrupts.ts).
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...ENGINE_ALLOCATOR_ENV },
  });
  let forwarded: NodeJS.Signals | null = null;
  for (const signal of FORWARDED) {
    process.on(signal, () => {
      if (child.exitCode != null || child.signalCode != null) return;
      if (forwarded != null) {
        // A second interrupt: the user does not want to wait for a clean stop.
        child.kill("SIGKILL");
        return;
      }
      forwarded = signal;
      child.kill(signal);
      setTimeout(() => {
        process.stderr.write(`haps: the command did not stop within ${STOP_TIMEOUT_MS / 1000} s of ${signal}; killing it.\n`);
        child.kill("SIGKILL");
      }, STOP_TIMEOUT_MS).unref();
    });
  }
  child.on("error", (error) => {
    process.stderr.write(`haps: cannot start ${process.execPath}: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal == null) process.exit(code ?? 1);
    // A child killed after a forwarded interrupt reports that interrupt, not the SIGKILL that ended the wait.
    const reported = forwarded ?? signal;
    process.stderr.write(`haps: ${describeChildSignal(reported)}\n`);
    process.exit(signalExitCode(reported));
  });
}
