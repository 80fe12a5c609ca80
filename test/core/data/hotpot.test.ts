import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadHotpotQa } from "../../../src/core/data/hotpot/loadHotpotQa.ts";
import { DataProblemError } from "../../../src/core/data/problems/DataProblem.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { sharedFile, skipWithoutSharedData } from "./sharedData.ts";
import { tempFolder } from "./tempFiles.ts";

const skip = skipWithoutSharedData;
const HAPS = ["haps_test", "haps_rl_train", "haps_rl_valid"];
const RPT = ["rpt_train", "rpt_dev", "rpt_test"];
const hotpotFile = (name: string) => sharedFile("hotpotqa", `${name}.jsonl`);
const withoutSource = ({ source: _source, ...rest }: TaskItem) => rest;

async function loadAll(names: string[]): Promise<TaskItem[]> {
  const items: TaskItem[] = [];
  for (const name of names) {
    const { items: loaded, problems } = await loadHotpotQa(hotpotFile(name));
    assert.deepEqual(problems, [], `${name} has problems`);
    items.push(...loaded);
  }
  return items;
}

function contextSizes(items: TaskItem[]): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const item of items) sizes.set(item.context!.length, (sizes.get(item.context!.length) ?? 0) + 1);
  return sizes;
}

test("real HotpotQA files load with the row counts of SOURCES.md", { skip }, async () => {
  const counts: Record<string, number> = { haps_test: 100, haps_rl_train: 300, haps_rl_valid: 100, rpt_train: 300, rpt_dev: 300, rpt_test: 500 };
  for (const [name, count] of Object.entries(counts)) {
    const { items, problems } = await loadHotpotQa(hotpotFile(name));
    assert.equal(items.length, count, name);
    assert.deepEqual(problems, [], name);
    assert.ok(items.every((item) => item.task === "search-qa" && item.level === "hard"), name);
  }
});

test("both layouts give the context sizes SOURCES.md states", { skip }, async () => {
  // haps_*: 10 paragraphs each except 2 items with 4. rpt_*: 10 in all but 7 items.
  const haps = contextSizes(await loadAll(HAPS));
  assert.deepEqual([...haps.entries()].sort(), [[10, 498], [4, 2]].sort());
  const rpt = contextSizes(await loadAll(RPT));
  assert.equal(rpt.get(10), 1093);
  assert.equal(1100 - (rpt.get(10) ?? 0), 7);
});

test("the 77 items in both sources load identically from the two layouts", { skip }, async () => {
  const haps = new Map((await loadAll(HAPS)).map((item) => [item.id, item]));
  const shared = (await loadAll(RPT)).filter((item) => haps.has(item.id));
  assert.equal(shared.length, 77);
  for (const item of shared) assert.deepEqual(withoutSource(item), withoutSource(haps.get(item.id)!), item.id);
});

test("supporting facts point at paragraphs and sentences of the item's context", { skip }, async () => {
  for (const item of await loadAll([...HAPS, ...RPT])) {
    for (const fact of item.supportingFacts!) {
      const paragraph = item.context!.find((candidate) => candidate.title === fact.title);
      assert.ok(paragraph !== undefined && fact.sentence < paragraph.sentences.length, `${item.id} ${fact.title}`);
    }
  }
});

test("a JSON array file of original records loads, and problems there name the record index", { skip }, async () => {
  const records = readFileSync(hotpotFile("haps_test"), "utf8").trim().split("\n").slice(0, 3).map((line) => JSON.parse(line));
  const broken = { ...records[0], _id: "broken", context: "not a list" };
  const { write } = tempFolder("hotpot-array");
  const file = write("distractor.json", JSON.stringify([...records, broken]));
  const { items, problems } = await loadHotpotQa(file);
  assert.deepEqual(items.map((item) => item.id), records.map((record) => record._id));
  assert.equal(items[0].answer, records[0].answer);
  assert.deepEqual(items[0].context![0], { title: records[0].context[0][0], sentences: records[0].context[0][1] });
  assert.equal(problems.length, 1);
  assert.equal(problems[0].record, 3);
  assert.equal(problems[0].field, "context");
});

const original = {
  _id: "o1",
  question: "Who?",
  answer: "Ada",
  supporting_facts: [["P", 0]],
  context: [["P", ["Ada wrote it.", " Then left."]], ["Q", ["Other."]]],
  type: "bridge",
  level: "hard",
};
const huggingFace = {
  id: "h1",
  question: "Which?",
  answer: "yes",
  supporting_facts: { title: ["Q"], sent_id: [0] },
  context: { title: ["P", "Q"], sentences: [["One."], ["Two.", " Three."]] },
};

test("layouts are detected per record in one jsonl file", async () => {
  const { write } = tempFolder("hotpot-mixed");
  const file = write("mixed.jsonl", `${JSON.stringify(original)}\r\n\r\n${JSON.stringify(huggingFace)}\r\n`);
  const { items, problems } = await loadHotpotQa(file);
  assert.deepEqual(problems, []);
  assert.deepEqual(items[0], {
    id: "o1",
    task: "search-qa",
    question: "Who?",
    answer: "Ada",
    context: [
      { title: "P", sentences: ["Ada wrote it.", " Then left."] },
      { title: "Q", sentences: ["Other."] },
    ],
    supportingFacts: [{ title: "P", sentence: 0 }],
    questionType: "bridge",
    level: "hard",
    source: { file, line: 1 },
  });
  assert.equal(items[1].id, "h1");
  assert.deepEqual(items[1].context, [
    { title: "P", sentences: ["One."] },
    { title: "Q", sentences: ["Two.", " Three."] },
  ]);
  assert.deepEqual(items[1].supportingFacts, [{ title: "Q", sentence: 0 }]);
  assert.equal(items[1].source?.line, 3);
});

const badLines = [
  JSON.stringify(original),
  '{"_id": "x", "question": "Q?"', // bad JSON
  JSON.stringify({ ...original, _id: "no-answer", answer: undefined }),
  JSON.stringify({ ...original, supporting_facts: [["P", 1.5]] }),
  JSON.stringify({ ...original, context: [["P", ["ok", 7]]] }),
  JSON.stringify({ ...huggingFace, context: { title: ["P", "Q", "R"], sentences: [["One."], ["Two."]] } }),
  JSON.stringify({ ...huggingFace, supporting_facts: { title: ["P", "Q"], sent_id: [0] } }),
  JSON.stringify({ ...huggingFace, context: 5 }),
  JSON.stringify(huggingFace),
];

test("malformed records are skipped and reported with line and field; good ones are kept", async () => {
  const { write } = tempFolder("hotpot-bad");
  const file = write("bad.jsonl", badLines.join("\n"));
  const { items, problems } = await loadHotpotQa(file);
  assert.deepEqual(items.map((item) => item.id), ["o1", "h1"]);
  assert.deepEqual(
    problems.map(({ line, field }) => [line, field]),
    [
      [2, undefined],
      [3, "answer"],
      [4, "supporting_facts[0][1]"],
      [5, "context[0][1][1]"],
      [6, "context"],
      [7, "supporting_facts"],
      [8, "context"],
    ],
  );
  assert.ok(problems.every((problem) => problem.file === file));
  assert.match(problems[0].message, /^bad JSON/);
  assert.match(problems[3].message, /found 7/);
  assert.match(problems[4].message, /3 entries .* 2/);
});

test("strict mode throws the first problem with file:line and field", async () => {
  const { write } = tempFolder("hotpot-strict");
  const file = write("bad.jsonl", [badLines[0], badLines[2], badLines[3]].join("\n"));
  await assert.rejects(loadHotpotQa(file, { strict: true }), (error: unknown) => {
    assert.ok(error instanceof DataProblemError);
    assert.ok(error.message.startsWith(`${file}:2 field "answer": `), error.message);
    return true;
  });
});

test("an unparseable JSON array file is one problem, not a crash", async () => {
  const { write } = tempFolder("hotpot-array-bad");
  const file = write("broken.json", '[{"_id": 1},');
  const { items, problems } = await loadHotpotQa(file);
  assert.deepEqual(items, []);
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /^bad JSON/);
});
