import { open, readFile } from "node:fs/promises";
import { requireFile } from "../files/requireFile.ts";
import { loadJsonlRecords } from "../jsonl/loadJsonlRecords.ts";
import { ProblemLog, type LoadOptions, type LoadResult } from "../problems/ProblemLog.ts";
import type { TaskItem } from "../TaskItem.ts";
import { hotpotRecordToItem } from "./hotpotRecord.ts";

// Enough to get past a byte-order mark and leading white space to the first real character.
const SNIFF_BYTES = 64;

async function startsWithArray(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString("utf8").replace(/^\ufeff/, "").trimStart().startsWith("[");
  } finally {
    await handle.close();
  }
}

/**
 * Loads HotpotQA from either a JSON array file (the official distractor files, which are one long line) or a JSON
 * Lines file; the content decides, not the extension. Each record may be in the original or the Hugging Face layout.
 * Problems in an array file name the record's 0-based index, since the array has no useful line numbers.
 */
export async function loadHotpotQa(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  await requireFile(file, "HotpotQA file");
  if (!(await startsWithArray(file))) {
    return loadJsonlRecords(file, (value, line) => hotpotRecordToItem(value, { file, line }), options);
  }
  const log = new ProblemLog(options);
  let records: unknown;
  try {
    records = JSON.parse((await readFile(file, "utf8")).replace(/^\ufeff/, ""));
  } catch (error) {
    log.report({ file, message: `bad JSON: ${(error as Error).message}` });
    return { items: [], problems: log.problems };
  }
  if (!Array.isArray(records)) {
    log.report({ file, message: "expected a JSON array of HotpotQA records" });
    return { items: [], problems: log.problems };
  }
  const items: TaskItem[] = [];
  records.forEach((value, record) => {
    const result = hotpotRecordToItem(value, { file, record });
    if ("item" in result) items.push(result.item);
    else log.report({ file, record, ...result.issue });
  });
  return { items, problems: log.problems };
}
