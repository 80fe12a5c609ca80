// EngineClient against a real engine process: the TypeScript entry run by Node through tsx, so these tests need no
// build. Crashes are real: HAPS_ENGINE_CRASH_ON makes the engine call process.abort(), and an OOM kill is SIGKILL.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  EngineClient,
  EngineCrashedError,
  EngineRequestError,
  EngineRestartLimitError,
  type EngineClientOptions,
  type EngineCrash,
} from "../../../src/core/engine/EngineClient.ts";
import type { EngineEvents, EngineMethod } from "../../../src/core/engine/protocol.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";

const enginePath = fileURLToPath(new URL("../../../src/core/engine/engineMain.ts", import.meta.url));
const cacheDir = mkdtempSync(join(tmpdir(), "haps-engine-client-"));
const clients: EngineClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  rmSync(cacheDir, { recursive: true, force: true });
});

function client(options: Partial<EngineClientOptions> = {}): EngineClient {
  const c = new EngineClient({
    enginePath,
    execArgv: ["--import", "tsx"],
    runtime: { threads: 1, gpu: false },
    ...options,
    env: { HAPS_CACHE_DIR: cacheDir, ...options.env },
  });
  clients.push(c);
  return c;
}

function nextCrash(c: EngineClient): Promise<EngineCrash> {
  return new Promise((resolve) => {
    const off = c.onCrash((crash) => {
      off();
      resolve(crash);
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("EngineClient", () => {
  test("answers runtimeInfo from a child process with the runtime options it was given", async () => {
    const c = client();
    const info = await c.request("runtimeInfo", {});
    assert.equal(info.threads, 1);
    assert.equal(info.gpu, false);
    assert.equal(typeof info.nodeLlamaCppVersion, "string");
    assert.ok(c.pid && c.pid !== process.pid && isAlive(c.pid));
  });

  test("a native abort rejects the pending request with the reason, fires onCrash, and the next request restarts", async () => {
    const c = client({ env: { HAPS_ENGINE_CRASH_ON: "generate" } });
    await c.request("runtimeInfo", {});
    const firstPid = c.pid!;
    const crashed = nextCrash(c);
    const error = await c.request("generate", { modelPath: "unused.gguf", prompt: "x" }).then(
      () => assert.fail("generate should have crashed the engine"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineCrashedError, String(error));
    assert.equal(error.crash.signal, "SIGABRT");
    assert.match(error.message, /HAPS engine crashed \(signal SIGABRT\) while running generate/);
    assert.match(error.message, /HAPS_ENGINE_CRASH_ON: aborting on "generate"/, "the last stderr lines are in the message");
    const crash = await crashed;
    assert.deepEqual(crash.pendingMethods, ["generate"]);
    assert.equal(c.running, false);
    assert.equal(isAlive(firstPid), false);

    const info = await c.request("runtimeInfo", {});
    assert.equal(info.threads, 1);
    assert.ok(c.pid && c.pid !== firstPid, "a new engine process answers");
  });

  test("an engine killed from outside (as by the OOM killer) is reported and replaced", async () => {
    const c = client();
    await c.request("runtimeInfo", {});
    const crashed = nextCrash(c);
    process.kill(c.pid!, "SIGKILL");
    const crash = await crashed;
    assert.equal(crash.signal, "SIGKILL");
    assert.deepEqual(crash.pendingMethods, []);
    assert.equal((await c.request("runtimeInfo", {})).threads, 1);
  });

  test("every request running at the crash is rejected, not only the one that caused it", async () => {
    const c = client({ env: { HAPS_ENGINE_CRASH_ON: "generate" } });
    // runtimeInfo starts llama.cpp first (hundreds of ms), so it is still running when generate aborts the process.
    const slow = c.request("runtimeInfo", {});
    const crashing = c.request("generate", { modelPath: "unused.gguf", prompt: "x" });
    const results = await Promise.allSettled([slow, crashing]);
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.ok(r.reason instanceof EngineCrashedError, String(r.reason));
    }
    assert.deepEqual(((results[0] as PromiseRejectedResult).reason as EngineCrashedError).crash.pendingMethods.sort(), [
      "generate",
      "runtimeInfo",
    ]);
  });

  test("after too many crashes in the window it refuses with a clear error until restart()", async () => {
    const c = client({ env: { HAPS_ENGINE_CRASH_ON: "generate" }, maxRestarts: 1, restartWindowMs: 60_000 });
    const generate = () => c.request("generate", { modelPath: "unused.gguf", prompt: "x" });
    await assert.rejects(generate(), EngineCrashedError);
    await assert.rejects(generate(), EngineCrashedError);
    await assert.rejects(c.request("runtimeInfo", {}), (e: unknown) => {
      assert.ok(e instanceof EngineRestartLimitError, String(e));
      assert.match(e.message, /crashed 2 times in 60 s; not restarting/);
      assert.match(e.message, /signal SIGABRT/);
      return true;
    });
    assert.equal(c.running, false, "no engine was started");
    await c.restart();
    assert.equal((await c.request("runtimeInfo", {})).threads, 1);
  });

  test("the bench's memory hook answers only when enabled, with the memory after full collections", async () => {
    const request = (c: EngineClient) => (c.request as (method: string, params: unknown) => Promise<unknown>)("memoryAfterGc", {});
    await assert.rejects(request(client()), /unknown engine method "memoryAfterGc"/);
    const noGc = client({ env: { HAPS_ENGINE_MEMORY_PROBE: "1" } });
    await assert.rejects(request(noGc), /--expose-gc/);
    const probe = client({ execArgv: ["--import", "tsx", "--expose-gc"], env: { HAPS_ENGINE_MEMORY_PROBE: "1" } });
    const memory = (await request(probe)) as Record<string, number>;
    assert.ok(memory.rssMiB > 10 && memory.heapUsedMiB > 1 && memory.heapUsedMiB < memory.rssMiB, JSON.stringify(memory));
    assert.ok(memory.trimmed === 0 || memory.trimmed === 1);
  });

  test("a handler's error comes back as a rejection and the engine keeps serving", async () => {
    const c = client();
    await assert.rejects(c.request("noSuchMethod" as EngineMethod, {} as never), (e: unknown) => {
      assert.ok(e instanceof EngineRequestError, String(e));
      assert.match(e.message, /unknown engine method "noSuchMethod"/);
      return true;
    });
    const pid = c.pid;
    assert.equal((await c.request("runtimeInfo", {})).threads, 1);
    assert.equal(c.pid, pid);
  });

  test("generate streams token events, and aborting sends cancel: the engine stops early with stopReason abort", async () => {
    const c = client();
    const { router } = await ensureDefaultModels(cacheDir);
    const params = { modelPath: router.path, prompt: "hello", maxTokens: 200, temperature: 0 };

    const tokens: string[] = [];
    const full = await c.request("generate", params, {
      onEvent: (event, data) => {
        if (event === "token") tokens.push((data as EngineEvents["token"]).text);
      },
    });
    assert.ok(full.outputTokens > 0);
    assert.equal(tokens.join(""), full.text, "the streamed tokens add up to the result");

    const controller = new AbortController();
    let seen = 0;
    const cancelled = await c.request("generate", params, {
      signal: controller.signal,
      onEvent: () => {
        if (++seen === 3) controller.abort();
      },
    });
    assert.equal(cancelled.stopReason, "abort");
    assert.ok(cancelled.outputTokens < full.outputTokens, `${cancelled.outputTokens} < ${full.outputTokens}`);
  });

  test("an already aborted signal rejects without starting an engine", async () => {
    const c = client();
    const controller = new AbortController();
    controller.abort(new Error("caller gave up"));
    await assert.rejects(c.request("runtimeInfo", {}, { signal: controller.signal }), /caller gave up/);
    assert.equal(c.running, false);
  });

  test("a runtime that cannot be started is reported as a crash with its reason", async () => {
    const c = client({ execPath: "/nonexistent/node" });
    await assert.rejects(c.request("runtimeInfo", {}), (e: unknown) => {
      assert.ok(e instanceof EngineCrashedError, String(e));
      assert.match(e.message, /could not run \/nonexistent\/node/);
      return true;
    });
  });

  test("dispose() shuts the engine down and later requests reject", async () => {
    const c = client();
    await c.request("runtimeInfo", {});
    const pid = c.pid!;
    let crashes = 0;
    c.onCrash(() => crashes++);
    await c.dispose();
    assert.equal(isAlive(pid), false);
    assert.equal(crashes, 0, "a requested shutdown is not a crash");
    await assert.rejects(c.request("runtimeInfo", {}), /disposed/);
  });

  test("dispose() kills an engine that does not exit on its own", async () => {
    const c = client({ shutdownTimeoutMs: 300 });
    await c.request("runtimeInfo", {});
    const pid = c.pid!;
    process.kill(pid, "SIGSTOP"); // a wedged engine: it cannot read `shutdown`
    const started = Date.now();
    await c.dispose();
    assert.ok(Date.now() - started >= 250, "it waited for a clean exit first");
    assert.equal(isAlive(pid), false);
  });
});
