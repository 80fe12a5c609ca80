import { basename } from "node:path";
import { z } from "zod";
import { CHOICE_LETTERS } from "../../metrics/choice/parseChoiceLetter.ts";
import { loadJsonlRecords } from "../jsonl/loadJsonlRecords.ts";
import { firstIssue } from "../problems/firstIssue.ts";
import type { LoadOptions, LoadResult } from "../problems/ProblemLog.ts";
import type { Paragraph, TaskItem } from "../TaskItem.ts";

/*
 * Our jsonl format for users' own tasks, one JSON object per line:
 *
 *   {
 *     "id"?: string,          // defaults to "<file name>:<line>"
 *     "question": string,     // required, non-empty
 *     "answer"?: string,      // reference answer; with choices, the letter of the right one ("A" = first)
 *     "choices"?: string[],   // 2 to 4 options (the multiple-choice protocol answers A-D); makes the item multiple choice
 *     "context"?: (string | {"title"?: string, "text": string} | {"title": string, "sentences": string[]})[]
 *   }
 *
 * A context paragraph given as a string or as {title?, text} becomes one sentence with the title "" or the given
 * one. With choices the task is "multiple-choice"; otherwise with context it is "search-qa"; otherwise "open-qa".
 * Unknown fields are ignored, so users can keep their own metadata on the line.
 */

/** One context paragraph in users' files: a string, {title?, text} or {title, sentences}. */
export const paragraphSchema = z.union([
  z.string(),
  z.object({ title: z.string(), sentences: z.array(z.string()) }),
  z.object({ title: z.string().optional(), text: z.string() }),
]);

const customRecord = z
  .object({
    id: z.string().min(1, "expected a non-empty string").optional(),
    question: z.string().refine((text) => text.trim() !== "", "expected a non-empty question"),
    answer: z.string().optional(),
    choices: z
      .array(z.string())
      .min(2, "expected at least 2 choices")
      .max(CHOICE_LETTERS.length, `expected at most ${CHOICE_LETTERS.length} choices (answered ${CHOICE_LETTERS.join(", ")})`)
      .optional(),
    context: z.array(paragraphSchema).optional(),
  })
  .superRefine((record, context) => {
    if (record.choices === undefined || record.answer === undefined) return;
    const last = String.fromCharCode(64 + record.choices.length);
    const index = record.answer.length === 1 ? record.answer.charCodeAt(0) - 65 : -1;
    if (index < 0 || index >= record.choices.length) {
      context.addIssue({ code: "custom", path: ["answer"], message: `expected a letter A-${last} naming one of the ${record.choices.length} choices` });
    }
  });

export function toParagraph(value: z.infer<typeof paragraphSchema>): Paragraph {
  if (typeof value === "string") return { title: "", sentences: [value] };
  if ("sentences" in value) return { title: value.title, sentences: value.sentences };
  return { title: value.title ?? "", sentences: [value.text] };
}

/** Loads users' own tasks from a jsonl file in the format described at the top of this file. */
export async function loadCustomJsonl(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const name = basename(file);
  return loadJsonlRecords(
    file,
    (value, line) => {
      const parsed = customRecord.safeParse(value);
      if (!parsed.success) return { issue: firstIssue(parsed.error, value) };
      const record = parsed.data;
      const context = record.context?.map(toParagraph);
      const task = record.choices !== undefined ? "multiple-choice" : context !== undefined ? "search-qa" : "open-qa";
      const item: TaskItem = { id: record.id ?? `${name}:${line}`, task, question: record.question, source: { file, line } };
      if (record.answer !== undefined) item.answer = record.answer;
      if (record.choices !== undefined) item.choices = record.choices;
      if (context !== undefined) item.context = context;
      return { item };
    },
    options,
  );
}
