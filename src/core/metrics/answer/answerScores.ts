import { normalizeAnswer, pythonSplit } from "./normalizeAnswer.ts";

/** Token-level scores of one predicted answer against one gold answer, as in hotpot_evaluate_v1.py. */
export interface AnswerScores {
  /** 1 when the normalised answers are equal, else 0. */
  exactMatch: number;
  f1: number;
  precision: number;
  recall: number;
}

// A yes/no question must be answered exactly: partial token credit would reward "no" against "yes it is".
const CLOSED_ANSWERS = new Set(["yes", "no", "noanswer"]);

/**
 * F1, precision and recall over normalised tokens, with the official script's special cases: all three are 0 when
 * either normalised answer is "yes", "no" or "noanswer" and the two differ, and when no token is shared.
 */
export function tokenF1(prediction: string, gold: string): { f1: number; precision: number; recall: number } {
  const normalizedPrediction = normalizeAnswer(prediction);
  const normalizedGold = normalizeAnswer(gold);
  const zero = { f1: 0, precision: 0, recall: 0 };
  if (normalizedPrediction !== normalizedGold) {
    if (CLOSED_ANSWERS.has(normalizedPrediction) || CLOSED_ANSWERS.has(normalizedGold)) return zero;
  }
  const predictionTokens = pythonSplit(normalizedPrediction);
  const goldTokens = pythonSplit(normalizedGold);
  const goldCounts = new Map<string, number>();
  for (const token of goldTokens) goldCounts.set(token, (goldCounts.get(token) ?? 0) + 1);
  // Multiset intersection, like Counter & Counter: a repeated token counts at most as often as in the other side.
  let shared = 0;
  for (const token of predictionTokens) {
    const left = goldCounts.get(token) ?? 0;
    if (left > 0) {
      shared += 1;
      goldCounts.set(token, left - 1);
    }
  }
  if (shared === 0) return zero;
  const precision = shared / predictionTokens.length;
  const recall = shared / goldTokens.length;
  return { f1: (2 * precision * recall) / (precision + recall), precision, recall };
}

/** 1 when the normalised answers are identical, else 0. */
export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/** Exact match, F1, precision and recall of one prediction. */
export function answerScores(prediction: string, gold: string): AnswerScores {
  return { exactMatch: exactMatch(prediction, gold), ...tokenF1(prediction, gold) };
}
