// Reading a JSON file a person wrote: a missing or unreadable file and a syntax error both say where. The syntax
// errors and their offsets come from jsonc-parser (VS Code's own JSON scanner), in strict JSON mode: no comments, no
// trailing commas, as JSON.parse reads it.
import { readFile } from "node:fs/promises";
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";
import { ConfigError } from "./HapsConfig.ts";

/** "CommaExpected" -> "comma expected". */
const describeCode = (error: ParseError) => printParseErrorCode(error.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** Parses JSON text; a syntax error becomes a ConfigError naming `file:line:column` and what was expected there. */
export function parseJsonText(raw: string, file: string): unknown {
  // A byte-order mark (some Windows editors write one) is not part of the JSON.
  const text = raw.replace(/^\ufeff/, "");
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length === 0) return value;
  const first = errors[0];
  const { line, column } = lineColumn(text, first.offset);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""} after it)` : "";
  throw new ConfigError(`${file}:${line}:${column}: invalid JSON: ${describeCode(first)}${more}`);
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
