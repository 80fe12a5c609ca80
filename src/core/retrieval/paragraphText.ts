import type { Paragraph } from "../data/TaskItem.ts";

/**
 * The searchable text of a paragraph: its title on the first line, then its sentences joined as stored (HotpotQA
 * sentences carry their own leading space). The title is kept because the question's entities are usually titles.
 */
export function paragraphText(paragraph: Paragraph): string {
  const body = paragraph.sentences.join("");
  return paragraph.title === "" ? body : `${paragraph.title}\n${body}`;
}
