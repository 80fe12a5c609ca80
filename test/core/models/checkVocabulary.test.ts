import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesWithoutPiece, checkVocabulary, VocabularyError } from "../../../src/core/models/checkVocabulary.ts";
import { bytePiece, SpmVocabulary } from "../../../src/core/models/SpmVocabulary.ts";

test("an SPM vocabulary must spell every byte, with a <0xXX> piece or (ASCII only) the character itself", () => {
  assert.deepEqual(bytesWithoutPiece("llama", SpmVocabulary.fromWords(["cat"]).tokens), []);
  const without = SpmVocabulary.fromWords(["cat"], { byteFallback: false });
  const missing = bytesWithoutPiece("llama", without.tokens);
  // The printable ASCII characters are pieces of their own; control characters and every byte >= 0x80 are not.
  assert.equal(missing.length, 256 - 94);
  assert.ok(missing.includes(0x0a) && missing.includes(0x80) && missing.includes(0xff));
  assert.ok(!missing.includes(0x41), "'A' is spelled by its own piece");
  assert.deepEqual(bytesWithoutPiece("t5", without.tokens), missing, "UGM falls back the same way");
  // Byte-level BPE maps bytes without a lookup that can fail.
  assert.deepEqual(bytesWithoutPiece("gpt2", without.tokens), []);
  assert.equal(bytePiece(10), "<0x0A>");
});

test("checkVocabulary names the file and the missing pieces, and accepts complete vocabularies", () => {
  const meta = (model: string, tokens: readonly string[]) => ({ tokenizer: { ggml: { model, tokens } } });
  checkVocabulary("ok.gguf", meta("llama", SpmVocabulary.fromWords().tokens));
  checkVocabulary("bpe.gguf", meta("gpt2", ["a", "b"]));
  checkVocabulary("none.gguf", {});
  assert.throws(
    () => checkVocabulary("/m/nobytes.gguf", meta("llama", SpmVocabulary.fromWords(["cat"], { byteFallback: false }).tokens)),
    (error: Error) => {
      assert.ok(error instanceof VocabularyError);
      assert.match(error.message, /^model "\/m\/nobytes\.gguf": its SentencePiece vocabulary lacks 162 of the 256 byte-fallback tokens \(<0x00>, <0x01>, <0x02>, <0x03>, \.\.\.\)/);
      assert.match(error.message, /Convert the model again with its byte tokens/);
      return true;
    },
  );
  assert.throws(() => checkVocabulary("/m/empty.gguf", meta("llama", [])), /tokenizer\.ggml\.tokens is empty or missing/);
});
