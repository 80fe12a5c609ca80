import { z } from "zod";
import { CHOICE_LETTERS } from "../../metrics/choice/parseChoiceLetter.ts";
import { loadJsonlRecords } from "../jsonl/loadJsonlRecords.ts";
import { firstIssue } from "../problems/firstIssue.ts";
import type { LoadOptions, LoadResult } from "../problems/ProblemLog.ts";
import { mmluItem } from "./mmluItem.ts";

const mmluRecord = z.object({
  subject: z.string().min(1, "expected a non-empty subject"),
  question: z.string().refine((text) => text.trim() !== "", "expected a non-empty question"),
  choices: z.array(z.string()).length(4, "expected exactly 4 choices"),
  answer: z.enum(CHOICE_LETTERS),
});

/** Loads the combined MMLU jsonl files: one `{subject, question, choices: [A, B, C, D], answer: "A"-"D"}` per line. */
export async function loadMmluJsonl(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  // Positions count every record of a subject, good or bad, so fixing one bad row does not shift the ids after it.
  const positions = new Map<string, number>();
  return loadJsonlRecords(
    file,
    (value, line) => {
      const subject = (value as { subject?: unknown } | null)?.subject;
      let position = 0;
      if (typeof subject === "string") {
        position = positions.get(subject) ?? 0;
        positions.set(subject, position + 1);
      }
      const parsed = mmluRecord.safeParse(value);
      if (!parsed.success) return { issue: firstIssue(parsed.error, value) };
      const record = parsed.data;
      return { item: mmluItem(record.subject, position, record.question, record.choices, record.answer, { file, line }) };
    },
    options,
  );
}
