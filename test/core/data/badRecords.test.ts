// The bad-record cases every loader must report with file, line and field - broken JSON, a missing field, a wrong
// answer letter, an empty question - while keeping the good records around them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCustomJsonl } from "../../../src/core/data/custom/loadCustomJsonl.ts";
import { loadHotpotQa } from "../../../src/core/data/hotpot/loadHotpotQa.ts";
import { loadMmluCsv } from "../../../src/core/data/mmlu/loadMmluCsv.ts";
import { loadMmluJsonl } from "../../../src/core/data/mmlu/loadMmluJsonl.ts";
import { formatProblem } from "../../../src/core/data/problems/DataProblem.ts";
import { tempFolder } from "./tempFiles.ts";

const { write } = tempFolder("bad-records");

/** Writes the lines, loads them, and returns the kept ids and the problems as `line field: message`. */
async function load(loader: typeof loadCustomJsonl, name: string, lines: (object | string)[]) {
  const file = write(name, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
  const { items, problems } = await loader(file);
  assert.ok(problems.every((p) => p.file === file && formatProblem(p).startsWith(`${file}:${p.line}`)));
  return { ids: items.map((i) => i.id), problems: problems.map((p) => `${p.line} ${p.field ?? "-"}: ${p.message}`) };
}

test("custom tasks: broken JSON, a missing question, an empty one, a wrong letter, too many choices", async () => {
  const { ids, problems } = await load(loadCustomJsonl, "custom.jsonl", [
    { id: "ok1", question: "Fine?" },
    '{"id": "broken", "question": "Q?"',
    { id: "no-question", answer: "x" },
    { id: "empty", question: "" },
    { id: "letter", question: "Pick", choices: ["a", "b", "c"], answer: "D" },
    { id: "five", question: "Pick", choices: ["a", "b", "c", "d", "e"] },
    { id: "ok2", question: "Also fine?" },
  ]);
  assert.deepEqual(ids, ["ok1", "ok2"]);
  assert.equal(problems.length, 5);
  assert.match(problems[0], /^2 -: bad JSON/);
  assert.match(problems[1], /^3 question: .*found nothing/);
  assert.match(problems[2], /^4 question: expected a non-empty question; found ""/);
  assert.match(problems[3], /^5 answer: expected a letter A-C naming one of the 3 choices; found "D"/);
  assert.match(problems[4], /^6 choices: expected at most 4 choices \(answered A, B, C, D\)/);
});

test("MMLU jsonl: a missing question, an empty one, a lower-case letter", async () => {
  const good = { subject: "toy", question: "Q?", choices: ["a", "b", "c", "d"], answer: "A" };
  const { ids, problems } = await load(loadMmluJsonl, "mmlu.jsonl", [good, { ...good, question: undefined }, { ...good, question: "   " }, { ...good, answer: "b" }, good]);
  assert.deepEqual(ids, ["toy-0", "toy-4"]);
  assert.match(problems[0], /^2 question: .*found nothing/);
  assert.match(problems[1], /^3 question: expected a non-empty question/);
  assert.match(problems[2], /^4 answer: .*found "b"/);
});

test("HotpotQA: a missing question, an empty one, a missing answer, broken JSON", async () => {
  const good = { _id: "h1", question: "Who?", answer: "Ada", supporting_facts: [["P", 0]], context: [["P", ["Ada wrote it."]]] };
  const { ids, problems } = await load(loadHotpotQa as typeof loadCustomJsonl, "hotpot.jsonl", [
    good,
    { ...good, _id: "h2", question: undefined },
    { ...good, _id: "h3", question: "" },
    { ...good, _id: "h4", answer: undefined },
    "[not, json",
    { ...good, _id: "h6" },
  ]);
  assert.deepEqual(ids, ["h1", "h6"]);
  assert.match(problems[0], /^2 question: .*found nothing/);
  assert.match(problems[1], /^3 question: expected a non-empty string; found ""/);
  assert.match(problems[2], /^4 answer: .*found nothing/);
  assert.match(problems[3], /^5 -: bad JSON/);
});

test("a data file that is not there is named, never a raw ENOENT", async () => {
  await assert.rejects(loadCustomJsonl("/nonexistent/tasks.jsonl"), /^UnreadableFileError: data file "\/nonexistent\/tasks\.jsonl": not found$/);
  await assert.rejects(loadHotpotQa("/nonexistent/hotpot.json"), /^UnreadableFileError: HotpotQA file "\/nonexistent\/hotpot\.json": not found$/);
  await assert.rejects(loadMmluCsv("/nonexistent/mmlu"), /^Error: MMLU CSV file or folder "\/nonexistent\/mmlu": not found$/);
});
