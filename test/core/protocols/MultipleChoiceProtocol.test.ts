// The multiple-choice protocol end to end on real models (real llama.cpp inference, real GGUF files) and a real MMLU
// item. stories260K writes stories, not letters; llama-2-tiny-random under a grammar and sampling takes every branch.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { ensureDefaultModels, defaultCacheDir } from "../../../src/core/models/defaultModels.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { MultipleChoiceProtocol } from "../../../src/core/protocols/MultipleChoiceProtocol.ts";
import type { EpisodeOutcome, MultipleChoiceOptions, Turn } from "../../../src/core/protocols/types.ts";
import { assertAccounted, firstMmluItem, skipWithoutSharedFiles, stories260K, TalliedEndpoint, tinyRandom32k } from "./helpers.ts";

const SMALL: MultipleChoiceOptions = { maxTokens: 48, fieldLimits: { reasoning: 8 } };

// The attempt whose action counts in each round (the last one, after any format retries).
const answers = (o: EpisodeOutcome) => o.turns.filter((t) => t.role === "student" && t.action.type !== "invalid");
const reviews = (o: EpisodeOutcome) => o.turns.filter((t) => t.role === "teacher" && t.action.type !== "invalid");
const letterOf = (t: Turn | undefined) => (t?.action.type === "choice" ? t.action.letter : undefined);

describe("multiple-choice protocol on real models", { skip: skipWithoutSharedFiles }, () => {
  let runtime: LlamaRuntime;
  let item: TaskItem;
  let task: { question: string; choices: string[] };

  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    item = await firstMmluItem();
    task = { question: item.question, choices: item.choices ?? [] };
  });
  after(async () => {
    await runtime.dispose();
  });

  async function episode(options: MultipleChoiceOptions, student: TalliedEndpoint, teacher: TalliedEndpoint): Promise<EpisodeOutcome> {
    const outcome = await new MultipleChoiceProtocol({ ...SMALL, ...options }).run(task, { student, teacher });
    assertAccounted(outcome, [student, teacher]);
    return outcome;
  }

  test("free text from a story model: no letter, a retry with a reminder, then the stated fallbacks (no letter; Submit)", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: stories260K });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const outcome = await episode({ constrainActions: false, maxTokens: 32 }, student, teacher);
    const [first, retry, review, reviewRetry] = outcome.turns;
    assert.equal(outcome.turns.length, 4);
    assert.deepEqual(first.action, { type: "invalid" });
    assert.match(first.formatError ?? "", /no answer letter/);
    assert.equal(retry.retry, 1);
    assert.match(retry.fallback ?? "", /^keep the previous round's letter/);
    assert.deepEqual(retry.action, { type: "choice", letter: "" });
    assert.ok(student.requests[1].prompt.includes("could not be read"));
    assert.equal(review.role, "teacher");
    assert.ok(review.formatError);
    assert.equal(reviewRetry.retry, 1);
    assert.match(reviewRetry.fallback ?? "", /^Submit/);
    assert.equal(outcome.stoppedBecause, "submitted");
    assert.equal(outcome.answer, "");
    assert.ok(first.text.startsWith("Solution:") && review.text.startsWith("Feedback:"));
  });

  test("constrained replies: at most T rounds, a revision sees the feedback, the last answer counts", async () => {
    const seen: { outcome: EpisodeOutcome; student: TalliedEndpoint }[] = [];
    const has = (reason: string) => seen.some((s) => s.outcome.stoppedBecause === reason);
    for (let seed = 0; seed < 16 && !(has("roundLimit") && has("submitted")); seed++) {
      const student = new TalliedEndpoint(runtime, { role: "student", modelPath: tinyRandom32k, temperature: 1, seed });
      const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k, temperature: 1, seed: seed + 1000 });
      seen.push({ outcome: await episode({}, student, teacher), student });
    }
    assert.ok(has("roundLimit"), `no episode reached the round limit in ${seen.length} seeds`);
    assert.ok(has("submitted"), `no episode was submitted in ${seen.length} seeds`);
    for (const { outcome, student } of seen) {
      const rounds = answers(outcome);
      assert.ok(rounds.length >= 1 && rounds.length <= 3);
      assert.deepEqual(rounds.map((t) => t.step), rounds.map((_, i) => i));
      assert.equal(outcome.answer, letterOf(rounds.at(-1)));
      assert.ok(["A", "B", "C", "D"].includes(outcome.answer), "the grammar keeps the letter valid");
      if (outcome.stoppedBecause === "roundLimit") {
        assert.equal(rounds.length, 3);
        // The last answer cannot be revised, so it is not reviewed: two reviews, both asking for a revision.
        assert.equal(reviews(outcome).length, 2);
        assert.equal(outcome.turns.at(-1)?.role, "student");
        assert.ok(reviews(outcome).every((t) => t.action.type === "decision" && t.action.decision === "continue"));
        const firstReview = reviews(outcome)[0].action;
        const feedback = firstReview.type === "decision" ? firstReview : undefined;
        // The Student's first request after its round-0 turns (retries included) is the revision.
        const revision = student.requests[outcome.turns.filter((t) => t.role === "student" && t.index <= rounds[0].index).reduce((n, t) => n + t.calls, 0)];
        assert.ok(revision.prompt.includes(`Teacher's feedback: ${feedback?.feedback || "(none)"}`));
        assert.ok(revision.prompt.includes(`Your previous answer: ${letterOf(rounds[0])}`));
      } else {
        assert.equal(outcome.stoppedBecause, "submitted");
        const last = reviews(outcome).at(-1);
        assert.equal(last?.action.type === "decision" && last.action.decision, "submit");
      }
    }
  });

  test("with one round the Teacher is never asked", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: tinyRandom32k });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: stories260K });
    const outcome = await episode({ maxRounds: 1 }, student, teacher);
    assert.equal(teacher.requests.length, 0);
    assert.equal(outcome.stoppedBecause, "roundLimit");
    assert.equal(answers(outcome).length, 1);
    assert.equal(outcome.answer, letterOf(answers(outcome)[0]));
  });

  test("a question with three choices only allows the letters A to C", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: tinyRandom32k });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const three = { question: task.question, choices: task.choices.slice(0, 3) };
    const outcome = await new MultipleChoiceProtocol({ ...SMALL, maxRounds: 1 }).run(three, { student, teacher });
    assertAccounted(outcome, [student, teacher]);
    assert.deepEqual((student.requests[0].jsonSchema as { properties: { answer: { enum: string[] } } }).properties.answer.enum, ["A", "B", "C"]);
    assert.ok(["A", "B", "C"].includes(outcome.answer));
    await assert.rejects(new MultipleChoiceProtocol().run({ question: "q", choices: ["only"] }, { student, teacher }), /2 to 4 choices/);
  });

  test("the embedded default models run an episode with every generation accounted", async () => {
    const { candidates } = await ensureDefaultModels(defaultCacheDir());
    const [small, wide] = candidates;
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: small.path, modelId: small.id });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: wide.path, modelId: wide.id });
    const outcome = await episode({ maxTokens: 96 }, student, teacher);
    assert.ok(["submitted", "roundLimit"].includes(outcome.stoppedBecause));
    assert.ok(answers(outcome).length <= 3);
    assert.ok(Object.keys(outcome.tokens).every((id) => id === small.id || id === wide.id));
  });
});
