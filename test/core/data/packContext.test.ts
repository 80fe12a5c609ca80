// Workspace context for the chat: sources become paragraphs with their line ranges, in priority order, within the
// character budget, and whatever did not fit is named with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describePackedContext, packContext, textBlocks } from "../../../src/core/data/context/packContext.ts";

test("blocks between blank lines keep their line numbers; long blocks and long lines are cut", () => {
  assert.deepEqual(textBlocks("a\nb\n\n\n  c\n", 100, 10), [
    { first: 10, last: 11, text: "a\nb" },
    { first: 14, last: 14, text: "  c" },
  ]);
  const long = ["1234", "5678", "9abc"].join("\n");
  assert.deepEqual(textBlocks(long, 9).map((b) => [b.first, b.last, b.text]), [[1, 2, "1234\n5678"], [3, 3, "9abc"]]);
  const minified = "x".repeat(25);
  const pieces = textBlocks(minified, 10);
  assert.deepEqual(pieces.map((b) => b.text.length), [10, 10, 5]);
  assert.ok(pieces.every((b) => b.first === 1 && b.last === 1));
  assert.deepEqual(textBlocks(" \n\t\n", 10), []);
});

test("sources are taken in order until the budget is spent; the rest is reported with the lines left out", () => {
  const selection = { label: "selection in a.ts", firstLine: 40, text: "const x = 1;" };
  const file = { label: "b.md", text: ["# B", "", "first part", "", "second part", "", "third part"].join("\n") };
  const late = { label: "c.ts", text: "never fits" };
  const packed = packContext([selection, file, late], { maxChars: 12 + 3 + 10 + 11, maxParagraphChars: 100 });
  assert.deepEqual(packed.paragraphs.map((p) => p.title), [
    "selection in a.ts (line 40)",
    "b.md (line 1)",
    "b.md (line 3)",
    "b.md (line 5)",
  ]);
  assert.deepEqual(packed.paragraphs[0].sentences, ["const x = 1;"]);
  assert.deepEqual(packed.used, ["selection in a.ts", "b.md"]);
  assert.deepEqual(packed.leftOut, [
    { label: "b.md", reason: "lines 7-7 over the 36-character context limit" },
    { label: "c.ts", reason: "over the 36-character context limit" },
  ]);
  assert.equal(
    describePackedContext(packed),
    "Context: selection in a.ts, b.md · left out: b.md (lines 7-7 over the 36-character context limit), c.ts (over the 36-character context limit)",
  );
});

test("binary text is refused, empty text is skipped, and nothing is dropped without a word", () => {
  const packed = packContext([
    { label: "blob.bin", text: "PK\u0000\u0003" },
    { label: "empty.txt", text: "\n\n" },
    { label: "ok.txt", text: "fine" },
  ]);
  assert.deepEqual(packed.used, ["ok.txt"]);
  assert.deepEqual(packed.leftOut, [{ label: "blob.bin", reason: "not text" }]);
  assert.equal(describePackedContext({ used: [], leftOut: [] }), "");
});
