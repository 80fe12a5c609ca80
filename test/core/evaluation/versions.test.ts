import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { collectCodeVersions, collectVersions } from "../../../src/core/evaluation/versions.ts";

test("the code's version facts are read when asked (a run's start) and kept as read, whatever HEAD is when the run ends", () => {
  const code = collectCodeVersions();
  const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  assert.equal(code.gitCommit, head);
  assert.equal(typeof code.gitDirty, "boolean");
  // What the run read at its start is what results.json records, even if a later commit moved HEAD.
  const atStart = { ...code, gitCommit: "0000000000000000000000000000000000000000", gitDirty: false };
  const v = collectVersions(atStart, { nodeLlamaCppVersion: "3.0.0", backend: "cpu", threads: 1 });
  assert.equal(v.gitCommit, "0000000000000000000000000000000000000000");
  assert.equal(v.gitDirty, false);
  assert.deepEqual([v.nodeLlamaCpp, v.backend, v.threads, v.node], ["3.0.0", "cpu", 1, process.version]);
});
