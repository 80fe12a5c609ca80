// Reading a JSON file a person wrote: a missing or unreadable file and a syntax error both say where.
import { readFile } from "node:fs/promises";
import { ConfigError } from "./HapsConfig.ts";

/** Parses JSON text; a syntax error becomes a ConfigError naming `file:line:column`. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split("\n").length;
      const column = Number(position[1]) - before.lastIndexOf("\n");
      throw new ConfigError(`${file}:${line}:${column}: invalid JSON: ${message}`);
    }
    throw new ConfigError(`${file}: invalid JSON: ${message}`);
  }
}

/** Reads and parses a JSON file; `what` names it in the error ("the training spec", ...). */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder, not a file" : (code ?? (error as Error).message);
    throw new ConfigError(`cannot read ${what} ${file}: ${reason}`);
  }
  return parseJsonText(text, file);
}
