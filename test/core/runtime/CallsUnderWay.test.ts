import assert from "node:assert/strict";
import { test } from "node:test";
import { CallsUnderWay } from "../../../src/core/runtime/CallsUnderWay.ts";

test("idle waits for the calls under way, and close refuses new ones with its reason while running ones finish", async () => {
  const calls = new CallsUnderWay();
  await calls.idle(); // nothing under way: resolves at once
  let release!: () => void;
  const running = calls.track(() => new Promise<string>((resolve) => (release = () => resolve("done"))));
  let idle = false;
  calls.close(new Error("closing now"));
  calls.close(new Error("a second reason is ignored"));
  assert.equal(calls.signal.aborted, true);
  const waited = calls.idle().then(() => (idle = true));
  await assert.rejects(calls.track(async () => "late"), /closing now/);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(idle, false, "idle resolved while a call was still under way");
  release();
  assert.equal(await running, "done");
  await waited;
  assert.equal(idle, true);
});

test("a call that throws still counts as ended", async () => {
  const calls = new CallsUnderWay();
  await assert.rejects(calls.track(async () => { throw new Error("boom"); }), /boom/);
  await calls.idle();
});
