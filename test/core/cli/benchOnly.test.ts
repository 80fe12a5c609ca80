// `haps bench --only`: the parts named run, and a name that is no part is refused with the list of parts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BENCH_PARTS, parseOnly, runBench } from "../../../src/cli/bench/runBench.ts";

test("--only picks the parts named; without it every part runs", () => {
  assert.deepEqual([...parseOnly("bucketed,routing")].sort(), ["bucketed", "routing"]);
  assert.deepEqual([...parseOnly(" routing , ")], ["routing"]);
  assert.equal(parseOnly(undefined).size, BENCH_PARTS.length);
});

test("--only refuses an unknown part or an empty list, naming them and the parts", async () => {
  assert.throws(() => parseOnly("routing,bucket"), /--only: unknown part\(s\) "bucket"; the parts are cli, hypernetwork, .*bucketed/);
  assert.throws(() => parseOnly(","), /--only: no part named; the parts are/);
  // Before anything runs: the command fails at once.
  await assert.rejects(runBench(["--only", "soaks"], { signal: new AbortController().signal }), /unknown part\(s\) "soaks"/);
});
