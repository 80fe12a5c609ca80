import { isChoiceLetter, type ChoiceLetter } from "./parseChoiceLetter.ts";

/**
 * Strict MMLU scoring: 1 when the parsed letter is the gold letter, else 0 (null, an unparsed reply, scores 0).
 * Throws when `gold` is not A-D, since that is a data bug the loaders should have reported, not a wrong answer.
 */
export function choiceMatch(predicted: ChoiceLetter | null, gold: string): number {
  if (!isChoiceLetter(gold)) throw new RangeError(`choiceMatch: gold answer must be one of A, B, C, D; got ${JSON.stringify(gold)}`);
  return predicted === gold ? 1 : 0;
}
