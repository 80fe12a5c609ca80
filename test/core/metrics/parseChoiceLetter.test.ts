import { test } from "node:test";
import assert from "node:assert/strict";
import { parseChoiceLetter } from "../../../src/core/metrics/choice/parseChoiceLetter.ts";
import { choiceMatch } from "../../../src/core/metrics/choice/choiceMatch.ts";

test("an explicit answer marker wins, the last one when repeated", () => {
  assert.equal(parseChoiceLetter("Answer: C"), "C");
  assert.equal(parseChoiceLetter("The answer is (B)."), "B");
  assert.equal(parseChoiceLetter("answer: **D**"), "D");
  assert.equal(parseChoiceLetter("At first (A) looks right... Final answer: B"), "B");
  assert.equal(parseChoiceLetter("The answer is a bit unclear, but Answer: D"), "D");
});

test("a lower-case letter after the marker is read as the article, not a choice", () => {
  assert.equal(parseChoiceLetter("the answer is a tricky one"), null);
});

test("a single parenthesised letter is accepted; conflicting ones are ambiguous", () => {
  assert.equal(parseChoiceLetter("I pick (C) because of Ohm's law."), "C");
  assert.equal(parseChoiceLetter("(C) and again (C)"), "C");
  assert.equal(parseChoiceLetter("Between (A) and (C) I cannot decide."), null);
});

test("a lone letter, or one leading the reply with punctuation", () => {
  assert.equal(parseChoiceLetter("C"), "C");
  assert.equal(parseChoiceLetter("  B.\n"), "B");
  assert.equal(parseChoiceLetter("B) 42"), "B");
  assert.equal(parseChoiceLetter("A cat sat on the mat"), null);
  assert.equal(parseChoiceLetter("Cats"), null);
  assert.equal(parseChoiceLetter("d"), null);
});

test("letters outside A-D and empty replies give null", () => {
  assert.equal(parseChoiceLetter("Answer: E"), null);
  assert.equal(parseChoiceLetter("(E)"), null);
  assert.equal(parseChoiceLetter(""), null);
});

test("choiceMatch is a strict letter comparison and rejects a bad gold letter", () => {
  assert.equal(choiceMatch("B", "B"), 1);
  assert.equal(choiceMatch("A", "B"), 0);
  assert.equal(choiceMatch(null, "B"), 0);
  assert.throws(() => choiceMatch("A", "b"), /gold answer must be one of A, B, C, D; got "b"/);
});
