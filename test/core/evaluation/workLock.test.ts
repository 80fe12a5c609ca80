// The shared work folder's lock: holders take turns (the second waits until the first has released it, so their
// writes never overlap), a lock left by a process that is gone is taken over, and the lock is released on failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { withWorkLock } from "../../../src/core/evaluation/workLock.ts";
import { tempDir } from "../runtime/helpers.ts";

test("holders of the work folder's lock take turns", async () => {
  const dir = tempDir("lock");
  const events: string[] = [];
  const hold = (name: string, ms: number) =>
    withWorkLock(
      dir,
      async () => {
        events.push(`${name} in`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`${name} out`);
      },
      { pollMs: 10 },
    );
  await Promise.all([hold("a", 150), hold("b", 10), hold("c", 10)]);
  assert.equal(events.length, 6);
  for (let i = 0; i < events.length; i += 2) {
    assert.match(events[i], / in$/);
    assert.equal(events[i + 1], events[i].replace(" in", " out"), `overlap: ${events.join(", ")}`);
  }
  assert.ok(!existsSync(path.join(dir, "shared.lock")));
});

test("a lock whose owner is gone is taken over; a failing holder releases it", async () => {
  const dir = tempDir("lock");
  // A process that has exited: its pid is free.
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
  writeFileSync(path.join(dir, "shared.lock"), gone);
  const lines: string[] = [];
  assert.equal(await withWorkLock(dir, async () => 42, { pollMs: 10, log: (l) => lines.push(l) }), 42);
  assert.equal(lines.length, 0);
  await assert.rejects(withWorkLock(dir, async () => { throw new Error("boom"); }), /boom/);
  assert.ok(!existsSync(path.join(dir, "shared.lock")));
  // A live owner (this process, as another seed process would be) is waited for, and the wait is said.
  writeFileSync(path.join(dir, "shared.lock"), String(process.pid));
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stopped waiting")), 100);
  await assert.rejects(withWorkLock(dir, async () => 1, { pollMs: 10, log: (l) => lines.push(l), signal: controller.signal }), /stopped waiting/);
  assert.match(lines[0], new RegExp(`waiting for process ${process.pid}`));
});
