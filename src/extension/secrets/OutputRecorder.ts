// The extension's output channel, with the text it was given kept in memory (the last `maxChars`): the extension's
// API offers it, so that a test can check what the log holds - above all, that no API key ever reaches it.
import type * as vscode from "vscode";

/** Characters kept. Defaults to 1,000,000. */
const DEFAULT_MAX_CHARS = 1_000_000;

export function recordOutput(channel: vscode.OutputChannel, maxChars = DEFAULT_MAX_CHARS): { channel: vscode.OutputChannel; text: () => string } {
  let kept = "";
  const keep = (value: string) => {
    kept += value;
    if (kept.length > maxChars) kept = kept.slice(kept.length - maxChars);
  };
  const recorded: vscode.OutputChannel = {
    name: channel.name,
    append: (value) => {
      keep(value);
      channel.append(value);
    },
    appendLine: (value) => {
      keep(`${value}\n`);
      channel.appendLine(value);
    },
    replace: (value) => {
      kept = value;
      channel.replace(value);
    },
    clear: () => {
      kept = "";
      channel.clear();
    },
    show: ((...args: unknown[]) => (channel.show as (...a: unknown[]) => void)(...args)) as vscode.OutputChannel["show"],
    hide: () => channel.hide(),
    dispose: () => channel.dispose(),
  };
  return { channel: recorded, text: () => kept };
}
