export { normalizeAnswer, pythonSplit } from "./answer/normalizeAnswer.ts";
export { answerScores, exactMatch, tokenF1, type AnswerScores } from "./answer/answerScores.ts";
export { parseChoiceLetter, isChoiceLetter, CHOICE_LETTERS, type ChoiceLetter } from "./choice/parseChoiceLetter.ts";
export { choiceMatch } from "./choice/choiceMatch.ts";
export { episodeCost, type TokenUsage, type TokenPrice } from "./cost/episodeCost.ts";
export { CostNormalizer, type CostNormalizerState } from "./cost/CostNormalizer.ts";
export { reward, shapePerformance } from "./reward/reward.ts";
