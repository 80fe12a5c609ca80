// Bad models and bad requests through the engine's process boundary: each is refused with an error that names the
// file, the model's role or the field, and the same engine process serves the next request.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { EngineClient, EngineRequestError } from "../../../src/core/engine/EngineClient.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import type { DefaultModels } from "../../../src/core/models/types.ts";
import { SpmVocabulary } from "../../../src/core/models/SpmVocabulary.ts";
import { tempDir } from "../runtime/helpers.ts";

const enginePath = fileURLToPath(new URL("../../../src/core/engine/engineMain.ts", import.meta.url));
const dir = tempDir("engine-bad-input");
const nobytes = path.join(dir, "nobytes.gguf");
const truncated = path.join(dir, "truncated.gguf");
let models: DefaultModels;
let engine: EngineClient;

before(async () => {
  models = await ensureDefaultModels(path.join(dir, "models"));
  await buildTinyLlama({ name: "nobytes", embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 64, vocabulary: SpmVocabulary.fromWords(undefined, { byteFallback: false }) }).write(nobytes);
  const bytes = readFileSync(models.candidates[0].path);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 10_000));
  engine = new EngineClient({ enginePath, execArgv: ["--import", "tsx"], runtime: { threads: 1, gpu: false }, env: { HAPS_CACHE_DIR: path.join(dir, "models") } });
});
after(async () => {
  await engine.dispose();
});

/** The request is refused (not a crash) with `message`, and the same engine then answers a good generation. */
async function refused(request: Promise<unknown>, message: RegExp): Promise<void> {
  const pid = engine.pid;
  await assert.rejects(request, (error: Error) => {
    assert.ok(error instanceof EngineRequestError, `${error.name}: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
  const next = await engine.request("generate", { modelPath: models.candidates[0].path, prompt: "the cat", maxTokens: 2 });
  assert.equal(next.stopReason, "maxTokens");
  if (pid != null) assert.equal(engine.pid, pid, "the engine process was replaced");
}

function writeConfig(name: string, router: string, candidate: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      router: { model: router },
      agents: [{ id: "teacher", role: "reviews" }, { id: "student", role: "answers" }],
      candidates: [{ id: "first", model: candidate }, { id: "second", model: models.candidates[1].path }],
    }),
  );
  return file;
}

test("generate on a vocabulary that would abort llama.cpp, or on a truncated model, is refused with the file and the reason", async () => {
  await engine.request("runtimeInfo", {});
  await refused(engine.request("generate", { modelPath: nobytes, prompt: "é", maxTokens: 1 }), /model ".*nobytes\.gguf": its SentencePiece vocabulary lacks .* byte-fallback tokens/);
  await refused(engine.request("generate", { modelPath: truncated, prompt: "x", maxTokens: 1 }), /model file ".*truncated\.gguf" is truncated: .* bytes but the file has/);
});

test("a route names the role of a model it cannot use: the router, or a candidate", async () => {
  const question = { question: "Which is a colour?", choices: ["dog", "red", "run", "seven"] };
  await refused(engine.request("route", { ...question, configPath: writeConfig("bad-router.json", nobytes, models.candidates[0].path) }), /^router model: model ".*nobytes\.gguf": its SentencePiece vocabulary/);
  await refused(engine.request("route", { ...question, configPath: writeConfig("bad-candidate.json", models.router.path, truncated) }), /^candidate "first": .*".*truncated\.gguf".* truncated/);
  await refused(engine.request("route", { ...question, configPath: writeConfig("no-router.json", path.join(dir, "absent.gguf"), models.candidates[0].path) }), /no-router\.json: a file it names is missing\n {2}router\.model: router model file ".*absent\.gguf": not found/);
});

test("a question longer than the rule allows is refused with the counts; empty questions and options are named", async () => {
  await refused(engine.request("route", { question: "river ".repeat(3000) }), /^question: [\d,]+ tokens for the router model, but a question may take at most 512 \(a quarter of the smallest model context, 2,048 tokens/);
  await refused(engine.request("route", { question: "Pick one", choices: ["a", "b", "c", "d", "e"] }), /^choices: a multiple-choice question needs 2 to 4 options, got 5$/);
  await refused(engine.request("route", { question: "Pick one", choices: ["a", " "] }), /^choices: option 2 is empty$/);
  await refused(engine.request("route", { question: "  " }), /^question: give a non-empty question$/);
  // The engine still runs ordinary questions (the limit itself is checked in checkEpisodeRequest.test.ts).
  const report = await engine.request("route", { question: "Which is a colour?", choices: ["dog", "red", "run", "seven"] });
  assert.equal(report.task, "multiple-choice");
});
