// Adapters loaded, used and freed on one model by several callers at once must not crash llama.cpp: its per-model set
// of adapters is unsynchronised, and before LoadedModel serialised loads and frees against decodes this run died of
// SIGSEGV within seconds (as `npm run proof` did after ~1,000 adapters). It runs in a child process so that a
// crash fails this test instead of killing the runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./helpers.ts";

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "adapterChurn.ts");

test("1,200 adapters loaded, used and freed by four concurrent callers on one model: no crash, every call answered", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", fixture, path.join(tempDir("churn"), "models"), "300"], { encoding: "utf8", timeout: 300_000 });
  assert.equal(run.signal, null, `the process died of ${run.signal}\n${run.stderr.slice(-2000)}`);
  assert.equal(run.status, 0, run.stderr.slice(-2000));
  assert.match(run.stdout, /^done 1200$/m);
});
