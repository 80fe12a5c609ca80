import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { requireFile } from "../files/requireFile.ts";
import { ProblemLog, type LoadOptions, type LoadResult } from "../problems/ProblemLog.ts";
import type { FieldIssue } from "../problems/firstIssue.ts";
import type { TaskItem } from "../TaskItem.ts";

/** A record converter: the item, or what was wrong with the record. */
export type RecordConverter = (value: unknown, line: number) => { item: TaskItem } | { issue: FieldIssue };

/**
 * Reads a JSON Lines file line by line (so a large training file never sits in memory as one string) and converts
 * each record. Blank lines are skipped; CRLF line ends and a leading byte-order mark are accepted.
 */
export async function loadJsonlRecords(file: string, convert: RecordConverter, options: LoadOptions = {}): Promise<LoadResult> {
  await requireFile(file, "data file");
  const log = new ProblemLog(options);
  const items: TaskItem[] = [];
  const input = createReadStream(file, { encoding: "utf8" });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line += 1;
      const text = line === 1 ? raw.replace(/^\ufeff/, "") : raw;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        log.report({ file, line, message: `bad JSON: ${(error as Error).message}` });
        continue;
      }
      const result = convert(value, line);
      if ("item" in result) items.push(result.item);
      else log.report({ file, line, ...result.issue });
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return { items, problems: log.problems };
}
