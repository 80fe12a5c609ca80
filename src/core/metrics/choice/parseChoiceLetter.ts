/** The letters of a four-way multiple-choice question (MMLU). */
export type ChoiceLetter = "A" | "B" | "C" | "D";

export const CHOICE_LETTERS: readonly ChoiceLetter[] = ["A", "B", "C", "D"];

export function isChoiceLetter(value: unknown): value is ChoiceLetter {
  return typeof value === "string" && (CHOICE_LETTERS as readonly string[]).includes(value);
}

// Only capital letters count after "answer": a lower-case "a" there is far more often the article ("the answer is
// a bit unclear") than a choice. Parentheses and markdown bold around the letter are common in chat output.
const ANSWER_MARKER = /answer(?:\s+is)?\s*[:：]?\s*(?:\*\*)?\s*\(?([A-D])\)?(?![\p{L}\p{N}_])/giu;
const PARENTHESISED = /\(([A-D])\)/g;
// A reply that is only a letter, or starts with one followed by ".", ")" or ":" ("C. Paris", "B) 42").
const LEADING_LETTER = /^\(?([A-D])(?:$|[.):]|\s*$)/;

/**
 * Pulls the chosen letter out of a model's reply, by the first rule that applies:
 * 1. "answer" (any case), optionally "is" and ":", then a capital A-D, optionally in parentheses or bold:
 *    "Answer: C", "The answer is (B)", "answer: **D**". When it occurs more than once the last one wins, because
 *    models that reason first state their final choice at the end.
 * 2. Parenthesised capital letters "(C)", when all of them name the same letter.
 * 3. The trimmed reply is a lone capital letter, or starts with one followed by ".", ")" or ":" ("C", "B) 42").
 * Returns null when no rule applies or rule 2 finds different letters: a guess would hide unparseable output.
 */
export function parseChoiceLetter(text: string): ChoiceLetter | null {
  // The regex is case-insensitive for "answer", so the captured letter is checked for case here.
  let marked: ChoiceLetter | null = null;
  for (const match of text.matchAll(ANSWER_MARKER)) {
    const letter = match[1];
    if (isChoiceLetter(letter)) marked = letter;
  }
  if (marked !== null) return marked;

  const parenthesised = new Set([...text.matchAll(PARENTHESISED)].map((match) => match[1]));
  if (parenthesised.size === 1) {
    const [letter] = parenthesised;
    if (isChoiceLetter(letter)) return letter;
  }
  if (parenthesised.size > 1) return null;

  const leading = LEADING_LETTER.exec(text.trim());
  if (leading !== null && isChoiceLetter(leading[1])) return leading[1];
  return null;
}
