import { basename, extname } from "node:path";

const SPLIT_SUFFIX = /^(.*)_(dev|val|test|train)$/;

/**
 * Subject and split from an MMLU file name, `<subject>_<split>.csv` ("college_biology_dev.csv"). A name without a
 * known split suffix (dev, val, test, train) is taken whole as the subject, with no split.
 */
export function mmluFileName(file: string): { subject: string; split?: string } {
  const stem = basename(file, extname(file));
  const match = SPLIT_SUFFIX.exec(stem);
  if (match === null) return { subject: stem };
  return { subject: match[1], split: match[2] };
}
