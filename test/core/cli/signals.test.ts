// Signals sent to a real `haps` process while it works: Ctrl-C and SIGTERM stop it with one line and the
// conventional exit status, a killed launcher leaves no CLI process behind, and a CLI process that dies of a native
// signal is reported with that signal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { childrenOf, isAlive, startHaps, waitFor } from "./hapsProcess.ts";

const skip = process.platform === "linux" ? false : "reads /proc";
// A search question with the embedded models: several seconds of generation to interrupt.
const ROUTE = ["route", "--question", "Which river flows through the capital of France?", "--threads", "1", "--gpu", "off"];

/** Starts a route and waits until its episode is generating; returns the run and the CLI process's pid. */
async function routeUnderWay() {
  const run = startHaps(ROUTE);
  await waitFor(() => run.stdout().includes("Routing (zero-shot)"), "the episode to start");
  const [cli] = childrenOf(run.child.pid!);
  assert.ok(cli != null, "the launcher has a CLI child process");
  return { run, cli };
}

describe("haps under signals", { skip }, () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    test(`${signal} to haps stops the episode: exit ${code}, one line, no process left`, async () => {
      const { run, cli } = await routeUnderWay();
      run.child.kill(signal);
      const { code: exitCode } = await run.exited;
      assert.equal(exitCode, code, run.stderr());
      const said = run.stderr().split("\n").filter((line) => /interrupted|stopping|killing/.test(line));
      assert.deepEqual(said, [`haps: interrupted (${signal}); stopping.`]);
      assert.equal(isAlive(cli), false, "the CLI process outlived the launcher");
    });
  }

  test("a launcher killed with SIGKILL leaves no CLI process behind", async () => {
    const { run, cli } = await routeUnderWay();
    run.child.kill("SIGKILL");
    await run.exited;
    await waitFor(() => !isAlive(cli), "the orphaned CLI process to exit", 10_000);
  });

  test("a CLI process that dies of a native signal is reported with the signal, never as a plain exit 1", async () => {
    const { run, cli } = await routeUnderWay();
    // What llama.cpp does on a failed check: abort().
    process.kill(cli, "SIGABRT");
    const { code } = await run.exited;
    assert.equal(code, 134);
    assert.match(run.stderr(), /haps: crashed: the process aborted \(SIGABRT\)/);
  });
});
