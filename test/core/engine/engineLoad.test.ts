// The shipped engine under load: 50 routes at once all answer, each with its own episode, and the engine serves
// on; 100 routes in a row leave its resident memory and open files where they were. (The 2,000-route soak is in
// `npm run bench`.)
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { EngineClient } from "../../../src/core/engine/EngineClient.ts";
import type { EpisodeReport } from "../../../src/core/episode/types.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { tempDir } from "../runtime/helpers.ts";
import { median, openFiles, residentMiB, shippedEnginePath } from "./shippedEngine.ts";

const skip = process.platform === "linux" ? false : "reads /proc";
const dir = tempDir("engine-load");
let engine: EngineClient;
let configPath: string;
let plainConfigPath: string;

before(async () => {
  const models = await ensureDefaultModels(path.join(dir, "models"));
  // Short episodes (one Student answer, no retries, the smallest token limit) so that many fit in a test. Free-text
  // replies (no JSON grammar) and adapters at scale 300 make the episodes depend on the question and on its adapter
  // (the paper-shaped generator's untrained B is small by design: at scale 1, and even at 30, its adapters barely
  // act, and the grammar's short fields hide what they do), so an episode that got another query's reply or
  // adapter would show it.
  const config = (scale: number) => ({
    router: { model: models.router.path },
    agents: [
      { id: "teacher", role: "Teacher: reviews the Student's answer." },
      { id: "student", role: "Student: answers the question." },
    ],
    candidates: models.candidates.map((m) => ({ id: m.id, model: m.path })),
    generator: { scale },
    protocol: { maxRounds: 1, formatRetries: 0, constrainActions: false },
    maxTokens: 48,
  });
  configPath = path.join(dir, "short.json");
  writeFileSync(configPath, JSON.stringify(config(300)));
  plainConfigPath = path.join(dir, "plain.json");
  writeFileSync(plainConfigPath, JSON.stringify(config(0)));
  engine = new EngineClient({ enginePath: await shippedEnginePath(), runtime: { threads: 1, gpu: false } });
});
after(async () => {
  await engine?.dispose();
});

const questions = ["Which is a colour?", "Which one is an animal?", "What can you eat?", "Which word is a number?", "Which is not a verb?"];
const request = (i: number, config = configPath) => ({
  id: `q${i}`,
  question: questions[i % questions.length],
  choices: ["dog", "red", "bread", "seven"],
  configPath: config,
});

/** What must not differ between the same query run alone and among others (timings may). */
function episode(report: EpisodeReport) {
  return {
    assignment: report.assignment.choice,
    adapters: report.adapters.map((a) => [a.agent, a.candidate, a.layers.map((l) => l.normUpdate)]),
    transcript: report.transcript.map((t) => [t.role, t.modelId, t.text, t.action]),
    answer: report.answer,
    tokens: report.tokens,
  };
}

test("50 routes at once all answer with their own episode, and the engine serves on", async () => {
  const alone: ReturnType<typeof episode>[] = [];
  for (let i = 0; i < questions.length; i++) alone.push(episode(await engine.request("route", request(i))));
  assert.equal(new Set(alone.map((e) => JSON.stringify(e.transcript))).size, questions.length, "the questions' episodes must differ to tell them apart");
  // The adapters act: the same question without them (scale 0) gives another episode.
  const plain = episode(await engine.request("route", request(0, plainConfigPath)));
  assert.notDeepEqual(plain.transcript, alone[0].transcript, "at scale 300 the adapters must change the episode");

  const pid = engine.pid;
  const reports = await Promise.all(Array.from({ length: 50 }, (_, i) => engine.request("route", request(i))));
  reports.forEach((report, i) => {
    assert.equal(report.id, `q${i}`);
    assert.deepEqual(episode(report), alone[i % questions.length], `route ${i} differs from the same query run alone`);
  });
  assert.equal(engine.pid, pid, "the engine restarted");
  assert.deepEqual(episode(await engine.request("route", request(3))), alone[3]);
});

test("100 routes in a row keep the engine's resident memory and open files flat", { skip }, async (t) => {
  for (let i = 0; i < 10; i++) await engine.request("route", request(i));
  const pid = engine.pid!;
  const rss: number[] = [];
  const files: number[] = [];
  for (let i = 0; i < 100; i++) {
    await engine.request("route", request(i));
    rss.push(residentMiB(pid));
    files.push(openFiles(pid));
  }
  assert.equal(engine.pid, pid, "the engine restarted");
  const growth = median(rss.slice(-20)) - median(rss.slice(0, 20));
  t.diagnostic(`RSS growth over 100 routes (median of the last 20 - median of the first 20): ${growth.toFixed(2)} MiB; open files ${files[0]} -> ${files.at(-1)} (max ${Math.max(...files)})`);
  // A context or a model load kept per route would add 2 MiB or more each (200+ MiB); adapters are checked on
  // their own in engineMemory.test.ts.
  assert.ok(growth < 16, `resident memory grew by ${growth.toFixed(1)} MiB over 100 routes`);
  assert.equal(files.at(-1), files[0], `open files went from ${files[0]} to ${files.at(-1)}`);
  assert.ok(Math.max(...files) <= files[0] + 2, `open files peaked at ${Math.max(...files)} (from ${files[0]})`);
});
