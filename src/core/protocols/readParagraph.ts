import type { ParagraphRetriever } from "./types.ts";

/** What a search shows when no paragraph shares a word with the query. */
export const NO_MATCH = "No paragraph matches this search.";

/**
 * Carries out Search[query]: the best-matching paragraph not read yet in this episode, so a repeated search moves
 * on to the next best match instead of showing the same paragraph again; `read` is updated. Returns `NO_MATCH`
 * when nothing new matches. Paragraphs are clipped to `maxChars` to keep prompts bounded.
 */
export async function readParagraph(retriever: ParagraphRetriever, query: string, read: Set<number>, maxChars: number): Promise<string> {
  const hits = await retriever.search(query, read.size + 1);
  const hit = hits.find((h) => !read.has(h.index));
  if (hit === undefined) return NO_MATCH;
  read.add(hit.index);
  return clipParagraph(hit.text, maxChars);
}

/** A paragraph cut to `max` characters, at the last sentence end that fits when there is one; lines are kept. */
export function clipParagraph(text: string, max: number): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  const head = trimmed.slice(0, max);
  const end = head.search(/[.!?][^.!?]*$/);
  return end > max / 2 ? head.slice(0, end + 1) : `${head.slice(0, max - 1).trimEnd()}…`;
}
