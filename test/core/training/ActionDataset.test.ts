// The action-level data file: rows appended as episodes finish, a torn last line repaired, another set-up's file
// refused, and a collection killed with SIGKILL resumed with no row lost and none written twice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeKeywordBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { loadHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { ActionDataset, actionFingerprint, fitCostNormalizer, rowKey, type ActionRow } from "../../../src/core/training/ActionDataset.ts";
import { tempDir } from "../runtime/helpers.ts";

const fixture = fileURLToPath(new URL("./fixtures/collect.ts", import.meta.url));

const row = (item: string, student: string, cost = 1): ActionRow => ({
  item,
  assignment: { teacher: "small", student },
  quality: 1,
  tokens: { small: { input: 10, output: 2 } },
  cost,
  answer: "B",
  stoppedBecause: "submitted",
  ms: 1,
});

test("rows persist across opens, a repeated row is not written twice, and a torn last line is cut off", async () => {
  const dir = tempDir("actions");
  const benchmark = await writeKeywordBenchmark(path.join(dir, "b"));
  const fingerprint = actionFingerprint(await loadHapsConfig(benchmark.configFile));
  const file = path.join(dir, "actions.jsonl");
  const first = await ActionDataset.open(file, fingerprint);
  first.append(row("x", "small", 2));
  first.append(row("x", "wide", 4));
  first.append(row("x", "wide", 4));
  first.close();
  appendFileSync(file, '{"item":"y","assignm'); // a writer killed mid-line
  const again = await ActionDataset.open(file, fingerprint);
  assert.equal(again.size, 2);
  assert.ok(again.has("x", { teacher: "small", student: "wide" }));
  again.append(row("y", "small"));
  again.close();
  const lines = readFileSync(file, "utf8").trim().split("\n");
  assert.equal(lines.length, 4, "header + 3 rows, the torn line gone");
  assert.ok(lines.every((l) => JSON.parse(l)));
  const normalizer = fitCostNormalizer((await ActionDataset.open(file, fingerprint)).rows(["x"]));
  assert.deepEqual(normalizer.toJSON(), { kind: "min-max", min: 2, max: 4, count: 2 });
  assert.equal(rowKey("x", { student: "a", teacher: "b" }, ["teacher", "student"]), rowKey("x", { teacher: "b", student: "a" }, ["teacher", "student"]));
});

test("a file written for another set-up is refused with the differences named", async () => {
  const dir = tempDir("actions");
  const benchmark = await writeKeywordBenchmark(path.join(dir, "b"));
  const config = await loadHapsConfig(benchmark.configFile);
  const file = path.join(dir, "actions.jsonl");
  (await ActionDataset.open(file, actionFingerprint(config))).close();
  const other = actionFingerprint({ ...config, maxTokens: 64, protocol: { ...config.protocol, maxRounds: 3 } });
  await assert.rejects(ActionDataset.open(file, other), (error: Error) => {
    assert.match(error.message, /holds action-level data for another set-up; use another output folder or delete it/);
    assert.match(error.message, /protocol: .*"maxRounds":2.* in the file, .*"maxRounds":3.* now/);
    assert.match(error.message, /maxTokens: 48 in the file, 64 now/);
    return true;
  });
});

test("a collection killed with SIGKILL part-way resumes where it stopped: every (item, assignment) exactly once", async () => {
  const dir = tempDir("actions");
  const benchmark = await writeKeywordBenchmark(path.join(dir, "b"));
  const file = path.join(dir, "actions.jsonl");
  const count = 12;
  const run = (killAfterRows: number | null) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; rows: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", fixture, benchmark.configFile, file, String(count)], { stdio: ["ignore", "pipe", "pipe"] });
      let rows = 0;
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.stdout.on("data", (d: Buffer) => {
        rows += d.toString().split("\n").filter((l) => l.startsWith("row ")).length;
        if (killAfterRows != null && rows >= killAfterRows) child.kill("SIGKILL");
      });
      child.once("error", reject);
      child.once("exit", (code, signal) => (code !== 0 && signal == null ? reject(new Error(`fixture failed (${code}): ${stderr.slice(-800)}`)) : resolve({ code, signal, rows })));
    });
  const killed = await run(17);
  assert.equal(killed.signal, "SIGKILL");
  const written = readFileSync(file, "utf8").trim().split("\n").length - 1;
  assert.ok(written >= 17 && written < 4 * count, `${written} rows before the kill`);
  const resumed = await run(null);
  assert.equal(resumed.code, 0);
  assert.equal(resumed.rows, 4 * count - written, "the resumed run ran only what was missing");
  const rows = readFileSync(file, "utf8").trim().split("\n").slice(1).map((l) => JSON.parse(l) as ActionRow);
  const keys = rows.map((r) => rowKey(r.item, r.assignment, ["teacher", "student"]));
  assert.equal(rows.length, 4 * count);
  assert.equal(new Set(keys).size, 4 * count, "no row written twice");
});
