// Ctrl-C, SIGTERM and a closed terminal stop a command cleanly: the running work is aborted through an AbortSignal,
// one line says why the command stops, and the process exits with 128 + the signal's number (130 for Ctrl-C) - within
// GRACE_MS even when the work does not notice the abort. A launcher that disappears (its IPC channel closes: it was
// killed) counts as a closed terminal, so that no `haps` process outlives the one the user started.
import os from "node:os";

/** How long an interrupted command may take to stop (and free its models) before the process exits anyway. */
const GRACE_MS = 2_000;

const HANDLED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The conventional exit status of a process stopped by `signal`: 128 + its number (SIGINT: 130). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

export interface Interrupts {
  /** Aborts on the first interrupt. */
  readonly signal: AbortSignal;
  /** The signal that interrupted the command, or null. */
  readonly received: NodeJS.Signals | null;
}

/** Installs the handlers (once per process) and returns the abort signal they drive. */
export function watchInterrupts(): Interrupts {
  const controller = new AbortController();
  const state: { received: NodeJS.Signals | null } = { received: null };
  const interrupt = (signal: NodeJS.Signals, why: string) => {
    // A terminal's Ctrl-C reaches both this process and its launcher, which forwards it: one is enough.
    if (state.received != null) return;
    state.received = signal;
    process.stderr.write(`\nhaps: ${why}; stopping.\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
    setTimeout(() => process.exit(signalExitCode(signal)), GRACE_MS).unref();
  };
  for (const signal of HANDLED) process.on(signal, () => interrupt(signal, `interrupted (${signal})`));
  if (process.channel != null) {
    // Started by the launcher: its channel must not keep this process alive, and its loss means the launcher died.
    process.channel.unref();
    process.on("disconnect", () => interrupt("SIGHUP", "the launching process went away"));
  }
  return {
    signal: controller.signal,
    get received() {
      return state.received;
    },
  };
}
