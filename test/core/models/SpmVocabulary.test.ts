import { test } from "node:test";
import assert from "node:assert/strict";
import { SPM_SPACE, SpmVocabulary, TokenType } from "../../../src/core/models/SpmVocabulary.ts";
import { ENGLISH_WORDS } from "../../../src/core/models/englishWords.ts";

test("SpmVocabulary has the special and byte-fallback pieces llama.cpp needs", () => {
  const v = SpmVocabulary.fromWords(["cat"]);
  assert.deepEqual(v.tokens.slice(0, 3), ["<unk>", "<s>", "</s>"]);
  assert.deepEqual(v.tokenTypes.slice(0, 3), [TokenType.unknown, TokenType.control, TokenType.control]);
  for (let b = 0; b < 256; b++) {
    const piece = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
    assert.equal(v.idOf(piece), 3 + b, piece);
    assert.equal(v.tokenTypes[3 + b], TokenType.byte);
  }
  assert.equal(v.tokens.length, v.scores.length);
  assert.equal(v.tokens.length, v.tokenTypes.length);
  assert.equal(new Set(v.tokens).size, v.tokens.length, "pieces are unique");
});

test("SpmVocabulary holds every prefix of each word piece, and longer pieces score higher", () => {
  const v = SpmVocabulary.fromWords(ENGLISH_WORDS);
  for (const word of ENGLISH_WORDS) {
    const chars = Array.from(SPM_SPACE + word);
    for (let k = 1; k <= chars.length; k++) assert.notEqual(v.idOf(chars.slice(0, k).join("")), undefined, `${word}: prefix ${k}`);
    assert.equal(v.wordId(word), v.idOf(SPM_SPACE + word));
  }
  assert.ok(v.scores[v.wordId("people")] > v.scores[v.idOf(SPM_SPACE + "peo")!]);
  assert.ok(ENGLISH_WORDS.length >= 200, `only ${ENGLISH_WORDS.length} words`);
  for (const c of "az09.,{}\":") assert.notEqual(v.idOf(c), undefined, c);
});

test("SpmVocabulary rejects words with whitespace and unknown words by name", () => {
  assert.throws(() => SpmVocabulary.fromWords(["ok", "two words"]), /word 1 \("two words"\)/);
  assert.throws(() => SpmVocabulary.fromWords(["ok"]).wordId("absent"), /"absent" is not a word/);
});
