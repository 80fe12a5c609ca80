// `--context` files: the forms read, and the same refusal for every way a file can hold no usable paragraph.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadContextFile } from "../../../src/core/data/custom/loadContextFile.ts";
import { tempFolder } from "./tempFiles.ts";

const { dir, write } = tempFolder("context-file");

test("plain text and every JSON paragraph form are read", async () => {
  assert.deepEqual(await loadContextFile(write("c.txt", "\ufeffParis\nThe capital.\r\n\r\nA lone line\n")), [
    { title: "Paris", sentences: ["The capital."] },
    { title: "", sentences: ["A lone line"] },
  ]);
  const json = [
    "Plain text.",
    { title: "T", text: "With a title." },
    { title: "S", sentences: ["One.", " Two."] },
    ["Hotpot", ["First.", " Second."]],
  ];
  assert.deepEqual(await loadContextFile(write("c.json", JSON.stringify(json))), [
    { title: "", sentences: ["Plain text."] },
    { title: "T", sentences: ["With a title."] },
    { title: "S", sentences: ["One.", " Two."] },
    { title: "Hotpot", sentences: ["First.", " Second."] },
  ]);
});

test("files that are not there, not text, or hold no paragraph are refused with the file named", async () => {
  const latin1 = join(dir, "latin1.txt");
  writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
  const cases: [string, RegExp][] = [
    [`${dir}/absent.txt`, /^context file ".*absent\.txt": not found$/],
    [dir, /^context file ".*": is a directory, not a file$/],
    [write("zip.txt", "PK\u0003\u0004\u0000\u0000"), /^context file ".*zip\.txt" is not text \(a NUL byte at offset 4\)/],
    [latin1, /^context file ".*latin1\.txt" is not UTF-8 text;/],
    [write("empty.txt", ""), /^context file ".*empty\.txt" has no paragraphs;/],
    [write("blank.txt", " \n\n\t\n"), /^context file ".*blank\.txt" has no paragraphs;/],
    [write("empty.json", " [ ] "), /^context file ".*empty\.json" has no paragraphs \(an empty JSON array\);/],
    [write("blank.json", '[{"text": ""}]'), /^context file ".*blank\.json": entry \[0\] has no text$/],
    [write("object.json", '{"title": "x"}'), /^context file ".*object\.json": expected a JSON array of paragraphs$/],
    [write("number.json", '["ok", 7]'), /^context file ".*number\.json": entry \[1\]: expected a string/],
    [write("broken.json", "[\"a\","), /^context file ".*broken\.json": invalid JSON/],
  ];
  for (const [file, message] of cases) {
    await assert.rejects(loadContextFile(file), (error: Error) => {
      assert.match(error.message, message);
      return true;
    }, file);
  }
});
