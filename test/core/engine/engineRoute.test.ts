// A routed episode through the engine's process boundary: the same pipeline as the CLI, driven by messages, with
// its progress streamed as events and cancellation as a message.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EngineClient } from "../../../src/core/engine/EngineClient.ts";
import type { EpisodeEvent } from "../../../src/core/episode/types.ts";

const enginePath = fileURLToPath(new URL("../../../src/core/engine/engineMain.ts", import.meta.url));
const cacheDir = mkdtempSync(join(tmpdir(), "haps-engine-route-"));
const engine = new EngineClient({
  enginePath,
  execArgv: ["--import", "tsx"],
  runtime: { threads: 1, gpu: false },
  env: { HAPS_CACHE_DIR: cacheDir },
});
after(async () => {
  await engine.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const context = [
  { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through it."] },
  { title: "Lyon", sentences: ["Lyon lies on the Rhone."] },
];

test("route streams the assignment, adapters and text, and returns the same report as its last event", async () => {
  const events: EpisodeEvent[] = [];
  const report = await engine.request(
    "route",
    { question: "2 + 2 = ?", choices: ["3", "4", "5", "22"], gold: "B" },
    { onEvent: (event, data) => event === "episode" && events.push(data as EpisodeEvent) },
  );
  assert.equal(report.task, "multiple-choice");
  assert.equal(events[0].type, "assignment");
  assert.ok(events.some((e) => e.type === "adapter"));
  assert.ok(events.some((e) => e.type === "text"));
  const done = events.at(-1)!;
  assert.equal(done.type, "done");
  assert.deepEqual((done as { report: unknown }).report, report);
});

test("cancelling a route stops it with an aborted outcome", async () => {
  const controller = new AbortController();
  let texts = 0;
  const report = await engine.request(
    "route",
    { question: "Which river flows through Paris?", context },
    {
      signal: controller.signal,
      onEvent: (event, data) => {
        if (event === "episode" && (data as EpisodeEvent).type === "text" && ++texts === 3) controller.abort();
      },
    },
  );
  // The engine stops the running generation and still answers, with what the episode had done so far.
  assert.equal(report.stoppedBecause, "aborted");
  assert.ok(report.transcript.length >= 1);
});
