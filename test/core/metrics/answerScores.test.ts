import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeAnswer } from "../../../src/core/metrics/answer/normalizeAnswer.ts";
import { answerScores, exactMatch, tokenF1 } from "../../../src/core/metrics/answer/answerScores.ts";

// Expected values below were worked out by hand from the rules of hotpot_evaluate_v1.py.

test("normalizeAnswer lower-cases, drops punctuation and articles, folds white space", () => {
  assert.equal(normalizeAnswer("The  Quick, Brown-Fox!"), "quick brownfox");
  assert.equal(normalizeAnswer("An apple a day\tkeeps\n the doctor away"), "apple day keeps doctor away");
  assert.equal(normalizeAnswer("  "), "");
});

test("normalizeAnswer removes punctuation before articles, as the official script does", () => {
  assert.equal(normalizeAnswer("the-end"), "theend");
  assert.equal(normalizeAnswer("a.b"), "ab");
  assert.equal(normalizeAnswer("The.Beatles"), "thebeatles");
});

test("normalizeAnswer keeps non-ASCII punctuation, which Python's string.punctuation lacks", () => {
  assert.equal(normalizeAnswer("Rock ’n’ Roll"), "rock ’n’ roll");
  assert.equal(normalizeAnswer("1939–1945"), "1939–1945");
});

test("normalizeAnswer uses Python's Unicode word boundaries and white space", () => {
  // "éa": é is a word character for Python, so "a" is not a separate article there.
  assert.equal(normalizeAnswer("éa"), "éa");
  assert.equal(normalizeAnswer("é a"), "é");
  assert.equal(normalizeAnswer("x\u0085y"), "x y");
  assert.equal(normalizeAnswer("x\ufeffy"), "x\ufeffy");
});

test("exact match compares normalised answers", () => {
  assert.equal(exactMatch("The Eiffel Tower.", "eiffel tower"), 1);
  assert.equal(exactMatch("Eiffel Towers", "eiffel tower"), 0);
});

test("F1, precision and recall on partial overlaps", () => {
  // pred "eiffel tower" (2 tokens) vs gold "eiffel tower in paris" (4): 2 shared, P 1, R 1/2, F1 2/3.
  const partial = tokenF1("The Eiffel Tower", "Eiffel Tower in Paris");
  assert.equal(partial.precision, 1);
  assert.equal(partial.recall, 0.5);
  assert.ok(Math.abs(partial.f1 - 2 / 3) < 1e-12);
  // pred "barack obama jr" (3) vs gold "obama" (1): 1 shared, P 1/3, R 1, F1 1/2.
  const longer = tokenF1("Barack Obama Jr.", "Obama");
  assert.ok(Math.abs(longer.precision - 1 / 3) < 1e-12);
  assert.equal(longer.recall, 1);
  assert.ok(Math.abs(longer.f1 - 0.5) < 1e-12);
});

test("repeated tokens count at most as often as in the other answer", () => {
  // "paris" x3 vs "paris france": 1 shared, P 1/3, R 1/2, F1 = 2 * 1/6 / (5/6) = 2/5.
  const scores = tokenF1("paris paris paris", "Paris, France");
  assert.ok(Math.abs(scores.precision - 1 / 3) < 1e-12);
  assert.equal(scores.recall, 0.5);
  assert.ok(Math.abs(scores.f1 - 0.4) < 1e-12);
});

test("no shared token gives all zeros", () => {
  assert.deepEqual(tokenF1("London", "Paris"), { f1: 0, precision: 0, recall: 0 });
});

test("yes/no/noanswer must match exactly, even when a token is shared", () => {
  // Without the special case "yes it is" vs "yes" would score P 1/3, R 1, F1 1/2.
  assert.deepEqual(tokenF1("yes it is", "yes"), { f1: 0, precision: 0, recall: 0 });
  // The rule also applies when only the prediction is a closed answer: "no" vs "no way" would be F1 2/3.
  assert.deepEqual(tokenF1("no", "no way"), { f1: 0, precision: 0, recall: 0 });
  assert.deepEqual(tokenF1("yes", "no"), { f1: 0, precision: 0, recall: 0 });
  assert.deepEqual(tokenF1("Yes.", "yes"), { f1: 1, precision: 1, recall: 1 });
  assert.deepEqual(tokenF1("noanswer", "NoAnswer"), { f1: 1, precision: 1, recall: 1 });
});

test("answers that normalise to nothing are an exact match with F1 0, as in the official script", () => {
  assert.deepEqual(answerScores("the", "a"), { exactMatch: 1, f1: 0, precision: 0, recall: 0 });
});
