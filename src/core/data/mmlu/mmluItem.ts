import type { ChoiceLetter } from "../../metrics/choice/parseChoiceLetter.ts";
import type { ItemSource, TaskItem } from "../TaskItem.ts";

/**
 * The multiple-choice item of one MMLU row. The id is `<subject>-<n>`, n the row's 0-based position among that
 * subject's rows in its file, so the CSV and jsonl copies of a row get the same id.
 */
export function mmluItem(subject: string, position: number, question: string, choices: string[], answer: ChoiceLetter, source: ItemSource): TaskItem {
  return { id: `${subject}-${position}`, task: "multiple-choice", question, answer, choices, subject, source };
}
