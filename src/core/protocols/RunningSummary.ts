/**
 * An agent's memory buffer in a search-QA episode, carried from round to round in its prompt.
 *
 * The rule (the paper's Appendix B: "both agents summarize the newly acquired information and append it to their
 * respective memory buffers"): each round the agent's own summary line is appended. When it wrote none (a weak
 * model, a broken reply), the first sentence of the observation it was shown is appended instead, so facts are never
 * lost just because a reply was malformed. The buffer is kept within `maxChars`, dropping its oldest sentences first,
 * so prompts stay bounded.
 */
export class RunningSummary {
  #text = "";

  /** @param maxChars Longest summary kept. */
  constructor(readonly maxChars: number) {}

  get text(): string {
    return this.#text;
  }

  /** Applies one round: `ownLine` is the agent's summary line, if any; `observation` what the round showed it. */
  append(ownLine: string | undefined, observation: string | undefined): void {
    const own = ownLine?.replace(/\s+/g, " ").trim();
    const sentence = own ? (/[.!?…]$/.test(own) ? own : `${own}.`) : observation === undefined ? "" : keyFact(observation);
    if (sentence === "") return;
    let text = this.#text === "" ? sentence : `${this.#text} ${sentence}`;
    while (text.length > this.maxChars) {
      const cut = text.search(/(?<=[.!?…])\s+/);
      // A single over-long sentence is clipped from the front: its end is the newest fact.
      text = cut < 0 ? `…${text.slice(text.length - this.maxChars + 1)}` : text.slice(cut).trimStart();
    }
    this.#text = text;
  }
}

// Words whose period does not end a sentence: titles, "St." and the like, and initials ("J. R. R. Tolkien").
const ABBREVIATION = /(?:^|\s)(?:St|Mt|Mr|Mrs|Ms|Dr|Jr|Sr|Prof|Gen|Col|Lt|Sgt|Capt|Rev|No|vs|etc|Inc|Co|Corp|Ltd|U\.S|[\p{Lu}])$/u;

/**
 * The first sentence of a paragraph: up to the first ".", "!" or "?" followed by a space and a capital letter or
 * digit, skipping the periods of common abbreviations and initials, at most 240 characters.
 */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  let end = -1;
  for (const stop of flat.matchAll(/[.!?](?=\s+["'“(]?[\p{Lu}\p{N}])/gu)) {
    const at = stop.index ?? 0;
    if (stop[0] === "." && ABBREVIATION.test(flat.slice(Math.max(0, at - 8), at))) continue;
    end = at;
    break;
  }
  const sentence = end < 0 ? flat : flat.slice(0, end + 1);
  return sentence.length <= 240 ? sentence : `${sentence.slice(0, 239).trimEnd()}…`;
}

/**
 * A paragraph's title and body. Retrieved paragraphs carry their title on a first line of their own (see
 * `paragraphText` in src/core/retrieval); a first line that reads like a sentence is taken as body, not title.
 */
export function splitTitle(paragraph: string): { title?: string; body: string } {
  const text = paragraph.trim();
  const newline = text.indexOf("\n");
  if (newline < 0) return { body: text };
  const first = text.slice(0, newline).trim();
  if (first.length > 100 || /[.!?]$/.test(first)) return { body: text };
  return { title: first, body: text.slice(newline + 1).trim() };
}

/** What the deterministic summary rule keeps of a paragraph: "Title: first sentence", or the first sentence. */
export function keyFact(paragraph: string): string {
  const { title, body } = splitTitle(paragraph);
  const sentence = firstSentence(body);
  return title === undefined || sentence === "" ? sentence : `${title}: ${sentence}`;
}
