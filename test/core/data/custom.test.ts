import { test } from "node:test";
import assert from "node:assert/strict";
import { basename } from "node:path";
import { loadCustomJsonl } from "../../../src/core/data/custom/loadCustomJsonl.ts";
import { DataProblemError } from "../../../src/core/data/problems/DataProblem.ts";
import { tempFolder } from "./tempFiles.ts";

test("custom tasks: the task kind follows from choices and context; ids default to file:line", async () => {
  const lines = [
    { id: "mc1", question: "Pick one", choices: ["x", "y", "z"], answer: "C" },
    { question: "Where was Ada born?", answer: "London", context: ["Ada was born in London.", { title: "Bio", text: "She died in 1852." }] },
    { question: "Summarise HAPS", context: [{ title: "HAPS", sentences: ["A router.", " With adapters."] }], extra: 1 },
    { question: "What is 2+2?" },
  ];
  const { write } = tempFolder("custom");
  const file = write("mine.jsonl", lines.map((line) => JSON.stringify(line)).join("\n"));
  const { items, problems } = await loadCustomJsonl(file);
  assert.deepEqual(problems, []);
  assert.deepEqual(items.map((item) => [item.id, item.task, item.answer]), [
    ["mc1", "multiple-choice", "C"],
    [`${basename(file)}:2`, "search-qa", "London"],
    [`${basename(file)}:3`, "search-qa", undefined],
    [`${basename(file)}:4`, "open-qa", undefined],
  ]);
  assert.deepEqual(items[0].choices, ["x", "y", "z"]);
  assert.deepEqual(items[1].context, [
    { title: "", sentences: ["Ada was born in London."] },
    { title: "Bio", sentences: ["She died in 1852."] },
  ]);
  assert.deepEqual(items[2].context, [{ title: "HAPS", sentences: ["A router.", " With adapters."] }]);
});

test("custom tasks: bad records are reported with line and field", async () => {
  const lines = [
    JSON.stringify({ question: "  " }),
    JSON.stringify({ question: "Pick", choices: ["x", "y"], answer: "C" }),
    JSON.stringify({ question: "Pick", choices: ["only"] }),
    JSON.stringify({ question: "Q", context: [42] }),
    JSON.stringify({ question: "Q", id: 7 }),
    JSON.stringify(["not", "an", "object"]),
    JSON.stringify({ question: "fine" }),
  ];
  const { write } = tempFolder("custom-bad");
  const file = write("bad.jsonl", lines.join("\n"));
  const { items, problems } = await loadCustomJsonl(file);
  assert.deepEqual(items.map((item) => item.question), ["fine"]);
  assert.deepEqual(
    problems.map(({ line, field }) => [line, field]),
    [
      [1, "question"],
      [2, "answer"],
      [3, "choices"],
      [4, "context[0]"],
      [5, "id"],
      [6, undefined],
    ],
  );
  assert.match(problems[1].message, /letter A-B naming one of the 2 choices; found "C"/);
  await assert.rejects(loadCustomJsonl(file, { strict: true }), (error: unknown) => {
    assert.ok(error instanceof DataProblemError);
    assert.ok(error.message.startsWith(`${file}:1 field "question": `), error.message);
    return true;
  });
});
