// The extension's log ("HAPS Router", a LogOutputChannel with levels) and, in test runs only, a copy of what it was
// given (the last `maxChars`), read through a command that exists only in ExtensionMode.Test, so that a test can
// check what the log holds - above all, that no API key ever reaches it. The copy is not part of the extension's API:
// the log holds users' questions, and other extensions must not read them.
import type * as vscode from "vscode";

/** Characters kept. Defaults to 1,000,000. */
const DEFAULT_MAX_CHARS = 1_000_000;

/** The methods whose text is kept, with the level they are shown at. */
const LEVELS: Record<string, string> = { trace: "trace", debug: "debug", info: "info", warn: "warning", error: "error" };

export function recordOutput(channel: vscode.LogOutputChannel, maxChars = DEFAULT_MAX_CHARS): { channel: vscode.LogOutputChannel; text: () => string } {
  let kept = "";
  const keep = (value: string) => {
    kept += value;
    if (kept.length > maxChars) kept = kept.slice(kept.length - maxChars);
  };
  const recorded = new Proxy(channel, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const name = String(property);
      return (...args: unknown[]) => {
        if (name === "append") keep(String(args[0]));
        else if (name === "appendLine") keep(`${String(args[0])}\n`);
        else if (name === "replace") kept = String(args[0]);
        else if (name === "clear") kept = "";
        else if (name in LEVELS) keep(`[${LEVELS[name]}] ${args[0] instanceof Error ? args[0].message : String(args[0])}\n`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { channel: recorded, text: () => kept };
}
