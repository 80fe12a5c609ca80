// A routed episode end to end on the embedded models: routing, generated adapters attached, both protocols, and an
// account of every generation and token.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import { loadHotpotQa, loadMmluJsonl } from "../../../src/core/data/index.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import type { EpisodeEvent, EpisodeReport } from "../../../src/core/episode/types.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { repoRoot, tempDir } from "../runtime/helpers.ts";

const sharedData = path.resolve(repoRoot, "../shared/data");
const fallbackContext = [
  { title: "Eiffel Tower", sentences: ["The Eiffel Tower is a wrought-iron tower in Paris."] },
  { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through it."] },
];

/** Every turn's tokens add up to the per-model totals, and every generation streamed is in the transcript. */
function assertAccountsForEverything(report: EpisodeReport, events: EpisodeEvent[]): void {
  const sums: Record<string, { input: number; output: number }> = {};
  for (const t of report.transcript) {
    sums[t.modelId] ??= { input: 0, output: 0 };
    sums[t.modelId].input += t.promptTokens;
    sums[t.modelId].output += t.outputTokens;
    assert.ok(t.calls >= 1 && t.promptTokens > 0, `turn ${t.index} made no generation`);
  }
  assert.deepEqual(sums, report.tokens);
  for (const [role, candidate] of Object.entries(report.assignment.choice))
    if (report.transcript.some((t) => t.role === role)) assert.ok(report.tokens[candidate], `${role}'s model has no tokens`);
  // What streamed is what the models wrote: every turn's generated text appears in the stream, in order.
  const streamed = events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text).join("");
  let from = 0;
  for (const t of report.transcript) {
    const generated = t.text.trim().slice(-20);
    const at = streamed.indexOf(generated, from);
    assert.ok(at >= 0, `turn ${t.index}'s text did not stream`);
    from = at;
  }
}

describe("routed episodes on the embedded models", () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    config = defaultConfig(await ensureDefaultModels(tempDir("models")));
  });
  after(async () => {
    await runtime.dispose();
  });

  test("search QA: zero-shot routing, an adapter per open model, a scored answer and a full account", async () => {
    const pipeline = await HapsPipeline.create(runtime, { ...config, maxTokens: 48 });
    let item = { id: "fallback", question: "Which river flows through the capital of France?", answer: "Seine", context: fallbackContext };
    const file = path.join(sharedData, "hotpotqa/haps_test.jsonl");
    if (existsSync(file)) {
      const first = (await loadHotpotQa(file)).items[0];
      item = { id: first.id, question: first.question, answer: first.answer!, context: first.context! };
    }
    const events: EpisodeEvent[] = [];
    const report = await pipeline.run(
      { id: item.id, question: item.question, context: item.context, gold: item.answer },
      { onEvent: (e) => events.push(e) },
    );
    assert.equal(report.task, "search-qa");
    assert.equal(report.id, item.id);
    // Routing: a candidate per agent and a distribution over all candidates for each.
    const ids = config.candidates.map((c) => c.id);
    for (const agent of ["student", "teacher"]) {
      assert.ok(ids.includes(report.assignment.choice[agent]));
      const probs = Object.values(report.assignment.probabilities[agent]);
      assert.equal(probs.length, ids.length);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    }
    assert.match(report.routingPrompt, /## Agents[\s\S]*## Task[\s\S]*## Candidate models[\s\S]*## Problem/);
    assert.ok(report.routingPrompt.includes(item.question));
    // An adapter for each agent (both candidates are open), shaped for the chosen model's last o_proj.
    assert.equal(report.adapters.length, 2);
    for (const a of report.adapters) {
      const shape = pipeline.policy.config.candidates.find((c) => c.id === a.candidate)!.oProj!.at(-1)!;
      assert.equal(a.layers.length, 1);
      assert.deepEqual(a.layers[0].shapeA, [shape.inWidth, 8]);
      assert.deepEqual(a.layers[0].shapeB, [8, shape.outWidth]);
      assert.ok(a.layers[0].normUpdate > 0, "an untrained generator must still change the model a little");
    }
    assertAccountsForEverything(report, events);
    assert.ok(report.cost.total > 0);
    assert.ok(report.metrics != null && "f1" in report.metrics);
    assert.deepEqual(events.map((e) => e.type).filter((t) => t !== "text" && t !== "turn"), ["assignment", "adapter", "adapter", "done"]);
  });

  test("multiple choice: a closed candidate is routed to but gets no adapter; the round limit holds", async () => {
    const closed: HapsConfig = {
      ...config,
      maxTokens: 40,
      candidates: config.candidates.map((c) => ({ ...c, open: false })),
    };
    const pipeline = await HapsPipeline.create(runtime, closed);
    let item = { question: "What is 2 + 2?", choices: ["3", "4", "5", "22"], answer: "B" };
    const file = path.join(sharedData, "mmlu/mmlu_dev.jsonl");
    if (existsSync(file)) {
      const first = (await loadMmluJsonl(file)).items[0];
      item = { question: first.question, choices: first.choices!, answer: first.answer! };
    }
    const events: EpisodeEvent[] = [];
    const report = await pipeline.run({ question: item.question, choices: item.choices, gold: item.answer }, { onEvent: (e) => events.push(e) });
    assert.equal(report.task, "multiple-choice");
    assert.deepEqual(report.adapters, []);
    const studentRounds = new Set(report.transcript.filter((t) => t.role === "student").map((t) => t.step));
    assert.ok(studentRounds.size >= 1 && studentRounds.size <= 3);
    assert.ok(report.metrics != null && "correct" in report.metrics);
    assert.ok(["", "A", "B", "C", "D"].includes(report.answer));
    assertAccountsForEverything(report, events);
  });

  test("protocol settings from the configuration reach the protocol (free text, one round)", async () => {
    const pipeline = await HapsPipeline.create(runtime, {
      ...config,
      maxTokens: 48,
      protocol: { ...config.protocol, constrainActions: false, maxRounds: 1 },
    });
    const report = await pipeline.run({ question: "Which is a colour?", choices: ["dog", "red", "run", "seven"] });
    assert.ok(report.transcript.every((t) => t.step === 0));
    assert.ok(report.transcript.every((t) => t.role === "student"), "with one round the Teacher has nothing to review");
    // Free text: the replies are not JSON objects.
    assert.ok(report.transcript.some((t) => !t.text.trim().startsWith("{")));
  });

  test("alpha changes at query time; the report carries it and a configuration without a Student is refused", async () => {
    const pipeline = await HapsPipeline.create(runtime, { ...config, maxTokens: 24 });
    const report = await pipeline.run({ question: "Name a river.", context: fallbackContext, alpha: 0.7 });
    assert.equal(report.alpha, 0.7);
    assert.equal(report.metrics, null);
    await assert.rejects(
      HapsPipeline.create(runtime, { ...config, agents: config.agents.filter((a) => a.id !== "student") }),
      /agents must include "student"/,
    );
  });
});
