// How a conversation becomes multi-turn for the engine: the protocols answer one question over paragraphs, so the
// earlier exchanges of the conversation are given as paragraphs the agents can search.
import type { Paragraph } from "../../core/data/TaskItem.ts";

export interface Exchange {
  question: string;
  answer: string;
}

/** Earlier exchanges the agents see, the most recent last. Defaults to 8. */
export const MAX_EXCHANGES = 8;

export function conversationContext(exchanges: readonly Exchange[], max = MAX_EXCHANGES): Paragraph[] {
  const kept = exchanges.filter((e) => e.answer.trim().length > 0).slice(-max);
  return kept.map((e, i) => ({
    title: `Earlier question ${exchanges.length - kept.length + i + 1}`,
    sentences: [e.question.trim(), ` Answer: ${e.answer.trim()}`],
  }));
}
