import { test } from "node:test";
import assert from "node:assert/strict";
import { firstSentence, keyFact, RunningSummary, splitTitle } from "../../../src/core/protocols/RunningSummary.ts";
import { clipParagraph } from "../../../src/core/protocols/readParagraph.ts";

const F430 =
  "Ferrari F430\nThe Ferrari F430 is a sports car that was produced by the Italian car manufacturer Ferrari from 2004 to 2009. " +
  "A successor to the Ferrari 360, it debuted at the 2004 Paris Motor Show.";

test("first sentences end at a sentence stop followed by a capital, not at abbreviations", () => {
  assert.equal(firstSentence("He moved to St. Louis in 1900. Then he left."), "He moved to St. Louis in 1900.");
  assert.equal(firstSentence("No stop at all"), "No stop at all");
  assert.ok(firstSentence("x".repeat(500)).length <= 240);
});

test("a retrieved paragraph's title line is told apart from its body", () => {
  assert.deepEqual(splitTitle("Ferrari F430\nThe car."), { title: "Ferrari F430", body: "The car." });
  assert.deepEqual(splitTitle("A sentence.\nAnother one."), { body: "A sentence.\nAnother one." });
  assert.deepEqual(splitTitle("No title here."), { body: "No title here." });
  assert.equal(keyFact(F430), "Ferrari F430: The Ferrari F430 is a sports car that was produced by the Italian car manufacturer Ferrari from 2004 to 2009.");
});

test("the memory buffer appends the agent's own summary each round, else the observation's key fact", () => {
  const notes = new RunningSummary(400);
  notes.append(undefined, F430);
  assert.match(notes.text, /^Ferrari F430: The Ferrari F430 is a sports car/);
  notes.append(undefined, "Ferrari 360\nThe Ferrari 360 is a sports car built from 1999 to 2005.");
  assert.match(notes.text, /2009\. Ferrari 360: The Ferrari 360/);
  notes.append("The F430 replaced the 360 and debuted in Paris in 2004", F430);
  assert.match(notes.text, /1999 to 2005\. The F430 replaced the 360 and debuted in Paris in 2004\.$/);
  const before = notes.text;
  notes.append(undefined, undefined);
  notes.append("   ", undefined);
  assert.equal(notes.text, before);
});

test("the running summary stays within its limit by dropping its oldest sentences", () => {
  const notes = new RunningSummary(120);
  for (let i = 0; i < 10; i++) notes.append(undefined, `Item number ${i} is a fact about topic ${i}. More.`);
  assert.ok(notes.text.length <= 120, notes.text);
  assert.match(notes.text, /Item number 9 is a fact about topic 9\.$/);
  assert.doesNotMatch(notes.text, /Item number 0 /);
  const long = new RunningSummary(50);
  long.append("word ".repeat(40), undefined);
  assert.ok(long.text.length <= 50);
});

test("paragraphs are clipped at a sentence end that fits, keeping the title line", () => {
  assert.equal(clipParagraph(F430, 1000), F430);
  const clipped = clipParagraph(F430, 150);
  assert.ok(clipped.length <= 150);
  assert.match(clipped, /^Ferrari F430\nThe Ferrari F430 .* 2009\.$/s);
  assert.ok(clipParagraph("a".repeat(300), 100).endsWith("…"));
});

test("initials and abbreviations do not end a first sentence", () => {
  assert.equal(firstSentence("J. R. R. Tolkien wrote it. Later."), "J. R. R. Tolkien wrote it.");
  assert.equal(firstSentence("The U.S. Army fought. Then."), "The U.S. Army fought.");
  assert.equal(firstSentence("It ended in 1945. Peace came."), "It ended in 1945.");
});
