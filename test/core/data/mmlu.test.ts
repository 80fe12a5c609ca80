import { test } from "node:test";
import assert from "node:assert/strict";
import { loadMmluCsv } from "../../../src/core/data/mmlu/loadMmluCsv.ts";
import { loadMmluJsonl } from "../../../src/core/data/mmlu/loadMmluJsonl.ts";
import { mmluFileName } from "../../../src/core/data/mmlu/mmluFileName.ts";
import { DataProblemError } from "../../../src/core/data/problems/DataProblem.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { sharedFile, skipWithoutSharedData } from "./sharedData.ts";
import { tempFolder } from "./tempFiles.ts";

const skip = skipWithoutSharedData;
const withoutSource = ({ source: _source, ...rest }: TaskItem) => rest;

function answerCounts(items: TaskItem[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item.answer!] = (counts[item.answer!] ?? 0) + 1;
  return counts;
}

// Rows and answer counts as SOURCES.md states them.
const SPLITS = {
  dev: { rows: 285, answers: { A: 67, B: 69, C: 71, D: 78 } },
  val: { rows: 1531, answers: { A: 381, B: 379, C: 387, D: 384 } },
  test: { rows: 14042, answers: { A: 3222, B: 3462, C: 3582, D: 3776 } },
};

for (const [split, expected] of Object.entries(SPLITS)) {
  test(`MMLU ${split}: the CSV directory and the jsonl agree item by item with SOURCES.md's counts`, { skip }, async () => {
    const csv = await loadMmluCsv(sharedFile("mmlu", "csv", split));
    const jsonl = await loadMmluJsonl(sharedFile("mmlu", `mmlu_${split}.jsonl`));
    assert.deepEqual(csv.problems, []);
    assert.deepEqual(jsonl.problems, []);
    assert.equal(csv.items.length, expected.rows);
    assert.equal(jsonl.items.length, expected.rows);
    assert.deepEqual(answerCounts(csv.items), expected.answers);
    assert.equal(new Set(csv.items.map((item) => item.subject)).size, 57);
    for (let index = 0; index < csv.items.length; index += 1) {
      assert.deepEqual(withoutSource(csv.items[index]), withoutSource(jsonl.items[index]), `item ${index}`);
    }
  });
}

test("one MMLU CSV file takes its subject from the file name and keeps cells verbatim", { skip }, async () => {
  const file = sharedFile("mmlu", "csv", "dev", "abstract_algebra_dev.csv");
  const { items, problems } = await loadMmluCsv(file);
  assert.deepEqual(problems, []);
  assert.equal(items.length, 5);
  assert.deepEqual(withoutSource(items[1]), {
    id: "abstract_algebra-1",
    task: "multiple-choice",
    question: "Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.",
    answer: "B",
    choices: ["True, True", "False, False", "True, False", "False, True"],
    subject: "abstract_algebra",
  });
  assert.deepEqual(items[1].source, { file, line: 2 });
});

test("mmluFileName splits subject and split", () => {
  assert.deepEqual(mmluFileName("/x/high_school_us_history_test.csv"), { subject: "high_school_us_history", split: "test" });
  assert.deepEqual(mmluFileName("college_biology_dev.csv"), { subject: "college_biology", split: "dev" });
  assert.deepEqual(mmluFileName("my_quiz.csv"), { subject: "my_quiz" });
});

test("CSV quirks: CRLF, quoted commas, quotes and line breaks, blank lines, no final newline", async () => {
  const { write } = tempFolder("mmlu-csv");
  const content = [
    'What is 1+1?,1,2,3,4,B',
    '"Quote ""this"", please",a,"b, c","multi\nline",d,D',
    '',
    'Last?,w,x,y,z,A',
  ].join("\r\n");
  const file = write("toy_val.csv", content);
  const { items, problems } = await loadMmluCsv(file);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    items.map((item) => [item.id, item.question, item.choices, item.answer, item.source?.line]),
    [
      ["toy-0", "What is 1+1?", ["1", "2", "3", "4"], "B", 1],
      ["toy-1", 'Quote "this", please', ["a", "b, c", "multi\nline", "d"], "D", 2],
      ["toy-2", "Last?", ["w", "x", "y", "z"], "A", 5],
    ],
  );
});

test("bad CSV rows are reported with line and field; rows before a fatal quote error are kept", async () => {
  const { write } = tempFolder("mmlu-csv-bad");
  const content = [
    "Good?,a,b,c,d,A",
    "Short?,a,b,c,B",
    "Letter?,a,b,c,d,E",
    ",a,b,c,d,C",
    '"Spans\ntwo lines",a,b,c,d,D',
    'Broken,"never closed,b,c,d,A',
    "Lost?,a,b,c,d,A",
  ].join("\n");
  const file = write("toy_test.csv", content);
  const { items, problems } = await loadMmluCsv(file);
  assert.deepEqual(items.map((item) => [item.id, item.source?.line]), [["toy-0", 1], ["toy-4", 5]]);
  assert.deepEqual(
    problems.map(({ line, field }) => [line, field]),
    [
      [2, undefined],
      [3, "answer"],
      [4, "question"],
      [7, undefined],
    ],
  );
  assert.match(problems[0].message, /expected 6 columns .* found 5/);
  assert.match(problems[1].message, /found "E"/);
  assert.match(problems[3].message, /^CSV parsing stopped: .*Quote Not Closed/i);
});

test("a CSV directory reports a bad file's rows and still loads the other files", async () => {
  const { dir, write } = tempFolder("mmlu-dir");
  write("zoology_dev.csv", "Z?,a,b,c,d,C\n");
  write("anatomy_dev.csv", "A1?,a,b,c,d,A\nA2?,a,b,c,X\n");
  write("notes.txt", "not a csv");
  const { items, problems } = await loadMmluCsv(dir);
  assert.deepEqual(items.map((item) => item.id), ["anatomy-0", "zoology-0"]);
  assert.equal(problems.length, 1);
  assert.ok(problems[0].file.endsWith("anatomy_dev.csv") && problems[0].line === 2);
});

test("bad MMLU jsonl records are reported with line and field", async () => {
  const good = { subject: "toy", question: "Q?", choices: ["a", "b", "c", "d"], answer: "C" };
  const lines = [
    JSON.stringify(good),
    JSON.stringify({ ...good, choices: ["a", "b", "c"] }),
    JSON.stringify({ ...good, answer: "E" }),
    JSON.stringify({ ...good, choices: ["a", "b", 3, "d"] }),
    "{not json}",
    JSON.stringify({ ...good, subject: undefined }),
    JSON.stringify(good),
  ];
  const { write } = tempFolder("mmlu-jsonl");
  const file = write("toy.jsonl", lines.join("\n") + "\n");
  const { items, problems } = await loadMmluJsonl(file);
  // Ids count every record naming the subject, good or bad (the bad JSON line and the subject-less one name none),
  // so the last good row is "toy" record number 4.
  assert.deepEqual(items.map((item) => item.id), ["toy-0", "toy-4"]);
  assert.deepEqual(
    problems.map(({ line, field }) => [line, field]),
    [
      [2, "choices"],
      [3, "answer"],
      [4, "choices[2]"],
      [5, undefined],
      [6, "subject"],
    ],
  );
  assert.match(problems[0].message, /expected exactly 4 choices; found \["a","b","c"\]/);
  assert.match(problems[2].message, /found 3$/);
  await assert.rejects(loadMmluJsonl(file, { strict: true }), (error: unknown) => {
    assert.ok(error instanceof DataProblemError);
    assert.ok(error.message.startsWith(`${file}:2 field "choices": `), error.message);
    return true;
  });
});
