// The training spec and the splits it draws: defaults, every wrong field named, seeded disjoint splits, MMLU
// stratified over subjects, and items without a reference answer reported, not trained on.
import { test } from "node:test";
import { resolveSftEpochs } from "../../../src/core/training/Sft.ts";
import { resolvePatience, resolveRlEpochs, resolveValidateEvery } from "../../../src/core/training/JointRl.ts";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { loadTrainSpec, parseTrainSpec } from "../../../src/core/training/TrainSpec.ts";
import { loadSplits } from "../../../src/core/training/loadSplits.ts";
import { tempDir } from "../runtime/helpers.ts";
import { sharedFile, skipWithoutSharedData } from "../data/sharedData.ts";

function jsonl(dir: string, name: string, records: object[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return file;
}

test("a minimal spec gets the documented defaults and resolves its paths against the spec's folder", async () => {
  const dir = tempDir("spec");
  const spec = await parseTrainSpec({ data: { format: "jsonl", file: "items.jsonl" }, out: "run" }, "spec.json", dir);
  assert.equal(spec.data.file, path.join(dir, "items.jsonl"));
  assert.equal(spec.out, path.join(dir, "run"));
  assert.deepEqual(spec.data.sizes, { train: 300, valid: 100, test: 100 });
  assert.deepEqual(spec.seeds, [0]);
  assert.equal(spec.config, null);
  assert.equal(spec.sft.target, "tuples");
  assert.equal(spec.rl.epochs, "auto");
  assert.equal(spec.rl.validateEvery, "auto");
  assert.equal(spec.rl.patience, "auto");
  assert.equal(spec.rl.headPolicyWeight, 0);
  assert.equal(spec.sft.epochs, "auto");
  assert.equal(spec.sft.lr, 1e-2);
  assert.equal(spec.rl.explore, "b");
});

test("automatic settings scale with the data: 32 and 300 training items", () => {
  assert.equal(resolveSftEpochs("auto", 32, 8), 400);
  assert.equal(resolveSftEpochs("auto", 300, 8), 200);
  assert.equal(resolveSftEpochs(7, 300, 8), 7);
  assert.equal(resolveRlEpochs("auto", 32), 20);
  assert.equal(resolveRlEpochs("auto", 300), 3);
  assert.equal(resolveValidateEvery("auto", 32), 11);
  assert.equal(resolveValidateEvery("auto", 300), 100);
  assert.equal(resolvePatience("auto", 11), 30);
  assert.equal(resolvePatience("auto", 100), 4);
  assert.equal(resolvePatience(2, 100), 2);
});

test("a wrong spec is refused with every offending field named; a JSON error with line and column; a missing file says so", async () => {
  const dir = tempDir("spec");
  await assert.rejects(
    parseTrainSpec({ data: { format: "csv", trainFile: "a", file: "b" }, out: "", seeds: [], rl: { sigma: -1, explore: "c", averageLast: 1000 }, surprise: 1 }, "spec.json", dir),
    (error: Error) => {
      for (const field of ["data.format", "out", "seeds", "rl.sigma", "rl.explore", "rl.averageLast", "(root)"]) assert.match(error.message, new RegExp(`\\n  ${field.replace(/[.()]/g, "\\$&")}:`), `${field} named`);
      return true;
    },
  );
  await assert.rejects(parseTrainSpec({ data: { format: "jsonl" }, out: "x" }, "spec.json", dir), /data\.file: give file \(one pool\) or trainFile/);
  const bad = path.join(dir, "bad.json");
  writeFileSync(bad, '{\n  "out": "x",\n  "data": {,}\n}');
  await assert.rejects(loadTrainSpec(bad), /bad\.json:3:\d+: invalid JSON/);
  await assert.rejects(loadTrainSpec(path.join(dir, "none.json")), /cannot read the training spec .*none\.json: no such file/);
  await assert.rejects(loadTrainSpec(dir), /cannot read the training spec .*: it is a folder, not a file/);
});

test("splits are seeded, disjoint and of the asked sizes; items without an answer are reported; too few items is an error with counts", async () => {
  const dir = tempDir("splits");
  const records = Array.from({ length: 30 }, (_, i) => ({ id: `q${i}`, question: `question ${i}?`, ...(i === 3 ? {} : { answer: `a${i}` }) }));
  const file = jsonl(dir, "items.jsonl", records);
  const data = { format: "jsonl" as const, file, sizes: { train: 10, valid: 5, test: 5 }, seed: 7 };
  const a = await loadSplits(data);
  const b = await loadSplits(data);
  const c = await loadSplits({ ...data, seed: 8 });
  assert.deepEqual(a.train.map((i) => i.id), b.train.map((i) => i.id));
  assert.notDeepEqual(a.train.map((i) => i.id), c.train.map((i) => i.id));
  assert.deepEqual([a.train.length, a.valid.length, a.test.length], [10, 5, 5]);
  assert.equal(new Set([...a.train, ...a.valid, ...a.test].map((i) => i.id)).size, 20);
  assert.ok(![...a.train, ...a.valid, ...a.test].some((i) => i.id === "q3"));
  assert.ok(a.problems.some((p) => p.line === 4 && p.field === "answer" && /no reference answer/.test(p.message)));
  await assert.rejects(loadSplits({ ...data, sizes: { train: 20, valid: 5, test: 5 } }), /29 usable items, but the splits need 30 \(train 20, valid 5, test 5\)/);
  await assert.rejects(loadSplits({ ...data, file: path.join(dir, "missing.jsonl") }), /data file not found: .*missing\.jsonl/);
  // One file per split: the same item in two of them is refused (held-out items must never be trained on).
  const train = jsonl(dir, "train.jsonl", records.slice(0, 10));
  const test = jsonl(dir, "test.jsonl", records.slice(8, 12));
  await assert.rejects(loadSplits({ format: "jsonl", trainFile: train, testFile: test, sizes: { train: 9, valid: 0, test: 4 }, seed: 0 }), /item "q[89]" is in both the train and the test split/);
});

test("MMLU splits are stratified over subjects", { skip: skipWithoutSharedData }, async () => {
  const { train } = await loadSplits({ format: "mmlu", file: sharedFile("mmlu", "mmlu_val.jsonl"), sizes: { train: 57, valid: 0, test: 0 }, seed: 0 });
  // The first 57 of a subject-by-subject draw hold one item of each of the 57 subjects.
  assert.equal(new Set(train.map((i) => i.subject)).size, 57);
});
