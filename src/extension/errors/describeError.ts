// Turns whatever failed into what the user reads and the buttons that help: each message says what to do.
import { ACTIONS, type HapsAction } from "./HapsUserError.ts";

export interface ErrorDescription {
  message: string;
  actions: HapsAction[];
}

/** Paths llama.cpp, the GGUF reader or Node name when a model file is missing. */
const MISSING_FILE = [/cannot read (?:model )?"([^"]+)": (?:ENOENT|not a regular file)/, /ENOENT: no such file or directory, (?:open|stat) '([^']+)'/];

/**
 * Errors are told apart by name, not instanceof: the same class can come from two bundles (the extension's and a
 * caller's), and the engine's errors cross a process boundary as a name and a message.
 */
export function describeError(error: unknown): ErrorDescription {
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "HapsUserError") return { message, actions: (error as { actions: HapsAction[] }).actions };
  if (name === "EngineRestartLimitError") {
    return { message: `${message.split(". ")[0]}. Restart the engine to try again; the log has the engine's last words.`, actions: [ACTIONS.restartEngine, ACTIONS.showLog] };
  }
  if (name === "EngineCrashedError") {
    return { message: `${message.split("\n")[0]} It restarts on the next request; the log has its last output.`, actions: [ACTIONS.showLog] };
  }
  for (const pattern of MISSING_FILE) {
    const match = pattern.exec(message);
    if (match) return { message: `Model file not found: ${match[1]}. Select the models again, or fix the path in the settings or the configuration file.`, actions: [ACTIONS.selectModels, ACTIONS.openSettings] };
  }
  if (name === "ConfigError") {
    const where = message.startsWith("inline configuration") ? message.replace(/^inline configuration/, "The HAPS settings (haps.models.*, haps.lora.*, haps.search.*)") : message;
    return { message: `${where}\nFix the fields named above.`, actions: [ACTIONS.openSettings, ACTIONS.selectModels] };
  }
  return { message: `HAPS: ${message}`, actions: [ACTIONS.showLog] };
}
