import { test } from "node:test";
import assert from "node:assert/strict";
import { ReadWriteLock } from "../../../src/core/runtime/ReadWriteLock.ts";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A task that records when it runs and finishes when told. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return {
    fn: async () => {
      log.push(`${name}+`);
      await done;
      log.push(`${name}-`);
    },
    open: () => open(),
  };
}

test("readers run together; a writer waits for them and runs alone; a waiting writer keeps new readers out", async () => {
  const lock = new ReadWriteLock();
  const log: string[] = [];
  const r1 = gate(log, "r1");
  const r2 = gate(log, "r2");
  const w = gate(log, "w");
  const r3 = gate(log, "r3");
  const p1 = lock.read(r1.fn);
  const p2 = lock.read(r2.fn);
  await tick();
  assert.deepEqual(log, ["r1+", "r2+"]);
  const pw = lock.write(w.fn);
  const p3 = lock.read(r3.fn);
  await tick();
  assert.deepEqual(log, ["r1+", "r2+"], "the writer waits for both readers; the later reader waits for the writer");
  r1.open();
  await p1;
  await tick();
  assert.deepEqual(log, ["r1+", "r2+", "r1-"]);
  r2.open();
  await p2;
  await tick();
  assert.deepEqual(log.slice(3), ["r2-", "w+"]);
  w.open();
  await pw;
  await tick();
  assert.deepEqual(log.slice(5), ["w-", "r3+"]);
  r3.open();
  await p3;
});

test("writers run one at a time, and a failing task releases the lock", async () => {
  const lock = new ReadWriteLock();
  let inside = 0;
  let most = 0;
  const write = () =>
    lock.write(async () => {
      most = Math.max(most, ++inside);
      await tick();
      inside--;
    });
  await Promise.all([write(), write(), write()]);
  assert.equal(most, 1);
  await assert.rejects(lock.write(async () => Promise.reject(new Error("boom"))), /boom/);
  await assert.rejects(lock.read(async () => Promise.reject(new Error("bang"))), /bang/);
  assert.equal(await lock.write(async () => "free again"), "free again");
  assert.equal(await lock.read(async () => "readable"), "readable");
});

test("writeIfFree runs only when nobody holds or waits for the lock", async () => {
  const lock = new ReadWriteLock();
  let ran = 0;
  const task = async () => void ran++;
  assert.equal(await lock.writeIfFree(task), true);
  let release!: () => void;
  const reading = lock.read(() => new Promise<void>((resolve) => (release = resolve)));
  await tick();
  assert.equal(await lock.writeIfFree(task), false, "a reader holds it");
  const waiting = lock.write(task);
  release();
  await reading;
  await waiting;
  assert.equal(ran, 2, "the skipped task did not run; the waiting writer did");
  assert.equal(await lock.writeIfFree(task), true);
});
