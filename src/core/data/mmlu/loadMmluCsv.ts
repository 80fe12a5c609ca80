import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { parse } from "csv-parse";
import { isChoiceLetter } from "../../metrics/choice/parseChoiceLetter.ts";
import { fileProblem } from "../files/requireFile.ts";
import { ProblemLog, type LoadOptions, type LoadResult } from "../problems/ProblemLog.ts";
import type { TaskItem } from "../TaskItem.ts";
import { mmluFileName } from "./mmluFileName.ts";
import { mmluItem } from "./mmluItem.ts";

const COLUMNS = ["question", "A", "B", "C", "D", "answer"] as const;

interface RawRow {
  cells: string[];
  line: number;
}

/**
 * Parses with csv-parse and keeps every row read before a fatal CSV error (an unclosed quote ends parsing; the rows
 * before it are still good). Rows carry the line they start on, worked out from the line each row ends on.
 */
async function readRows(file: string): Promise<{ rows: RawRow[]; error?: { line: number; message: string } }> {
  const rows: RawRow[] = [];
  let lastEndLine = 0;
  let lastEmptyLines = 0;
  const startLine = (emptyLines: number) => lastEndLine + 1 + (emptyLines - lastEmptyLines);
  const parser = parse({
    // The official files have no header; 44 of them end lines with CRLF, and quoted cells hold bare line feeds.
    // Without an explicit list csv-parse would take the first line end it meets as the only one.
    record_delimiter: ["\r\n", "\n"],
    bom: true,
    skip_empty_lines: true,
    // val/college_medicine_val.csv line 6 has an unquoted cell ending in a quote (`Truth?"`); Python's csv module,
    // which made the jsonl copies, keeps such a quote as text, and so do we.
    relax_quotes: true,
    // Rows with the wrong number of cells are reported by us with the line, rather than ending the parse.
    relax_column_count: true,
    on_record: (record: string[], context) => {
      rows.push({ cells: record, line: startLine(context.empty_lines) });
      lastEndLine = context.lines;
      lastEmptyLines = context.empty_lines;
      return record;
    },
  });
  const sink = new Writable({ objectMode: true, write: (_row, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(file), parser, sink);
    return { rows };
  } catch (error) {
    const emptyLines = (error as { empty_lines?: number }).empty_lines ?? lastEmptyLines;
    return { rows, error: { line: startLine(emptyLines), message: (error as Error).message } };
  }
}

async function loadOneCsv(file: string, log: ProblemLog, items: TaskItem[]): Promise<void> {
  const { subject } = mmluFileName(file);
  const { rows, error } = await readRows(file);
  rows.forEach(({ cells, line }, position) => {
    if (cells.length !== COLUMNS.length) {
      log.report({ file, line, message: `expected ${COLUMNS.length} columns (${COLUMNS.join(", ")}), found ${cells.length}` });
      return;
    }
    const [question, a, b, c, d, answer] = cells;
    if (question.trim() === "") {
      log.report({ file, line, field: "question", message: "expected a non-empty question in column 1" });
      return;
    }
    if (!isChoiceLetter(answer)) {
      log.report({ file, line, field: "answer", message: `expected A, B, C or D in column 6, found ${JSON.stringify(answer)}` });
      return;
    }
    items.push(mmluItem(subject, position, question, [a, b, c, d], answer, { file, line }));
  });
  if (error !== undefined) log.report({ file, line: error.line, message: `CSV parsing stopped: ${error.message}` });
}

/**
 * Loads MMLU from one per-subject CSV (`<subject>_<split>.csv`: no header; question, A, B, C, D, answer letter) or
 * from a directory of them, read in subject order so the items line up with the combined jsonl files.
 */
export async function loadMmluCsv(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  const log = new ProblemLog(options);
  const items: TaskItem[] = [];
  const info = await stat(path).catch((error) => {
    throw new Error(`MMLU CSV file or folder "${path}": ${fileProblem(error)}`);
  });
  if (!info.isDirectory()) {
    await loadOneCsv(path, log, items);
    return { items, problems: log.problems };
  }
  const files = (await readdir(path))
    .filter((name) => name.toLowerCase().endsWith(".csv"))
    .sort((left, right) => {
      const bySubject = compare(mmluFileName(left).subject, mmluFileName(right).subject);
      return bySubject !== 0 ? bySubject : compare(left, right);
    });
  for (const name of files) await loadOneCsv(join(path, name), log, items);
  return { items, problems: log.problems };
}

// Code-unit order, like Python's sorted(): localeCompare would put "_" differently on different machines.
function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
