// The search-QA protocol end to end on real models (real llama.cpp inference, real GGUF files) and a real HotpotQA
// item searched through the real BM25 retriever. The models are tiny: stories260K writes stories, not actions, and
// llama-2-tiny-random writes noise; with a grammar and sampling, the noise takes every branch of the protocol.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { Bm25Retriever } from "../../../src/core/retrieval/Bm25Retriever.ts";
import { paragraphText } from "../../../src/core/retrieval/paragraphText.ts";
import { ensureDefaultModels, defaultCacheDir } from "../../../src/core/models/defaultModels.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { SearchQaProtocol, UNREADABLE_STEP } from "../../../src/core/protocols/SearchQaProtocol.ts";
import type { EpisodeOutcome, SearchQaOptions, Turn } from "../../../src/core/protocols/types.ts";
import { assertAccounted, firstHotpotItem, skipWithoutSharedFiles, stories260K, TalliedEndpoint, tinyRandom32k } from "./helpers.ts";

// Small enough that a whole episode takes well under a second; the JSON fields are capped to fit in the tokens.
const SMALL: SearchQaOptions = { maxTokens: 64, fieldLimits: { summary: 6, reasoning: 6, argument: 12 } };

const searches = (o: EpisodeOutcome) => o.turns.filter((t) => t.observation !== undefined);
/** Generations made by `role` in the turns up to and including `index`: its later requests start there. */
const callsUpTo = (o: EpisodeOutcome, role: string, index: number) => o.turns.filter((t) => t.role === role && t.index <= index).reduce((n, t) => n + t.calls, 0);

describe("search QA protocol on real models", { skip: skipWithoutSharedFiles }, () => {
  let runtime: LlamaRuntime;
  let item: TaskItem;
  let retriever: Bm25Retriever;
  let paragraphs: string[];

  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    item = await firstHotpotItem();
    paragraphs = (item.context ?? []).map(paragraphText);
    retriever = new Bm25Retriever(paragraphs);
  });
  after(async () => {
    await runtime.dispose();
  });

  async function episode(options: SearchQaOptions, student: TalliedEndpoint, teacher: TalliedEndpoint): Promise<EpisodeOutcome> {
    const outcome = await new SearchQaProtocol({ ...SMALL, ...options }).run({ question: item.question }, { student, teacher }, retriever);
    assertAccounted(outcome, [student, teacher]);
    return outcome;
  }

  type Played = { outcome: EpisodeOutcome; student: TalliedEndpoint; teacher: TalliedEndpoint };

  /**
   * Sampled episodes of the random model against itself (seeds 0, 1, ...), until `enough` says the sweep has seen
   * what a test needs or `maxSeeds` is reached. Sampled noise under a grammar takes every branch of the protocol.
   */
  async function sweep(options: SearchQaOptions, enough: (seen: EpisodeOutcome[]) => boolean, maxSeeds = 16): Promise<Played[]> {
    const seen: Played[] = [];
    for (let seed = 0; seed < maxSeeds && !enough(seen.map((s) => s.outcome)); seed++) {
      const student = new TalliedEndpoint(runtime, { role: "student", modelPath: tinyRandom32k, temperature: 1, seed });
      const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k, temperature: 1, seed: seed + 1000 });
      seen.push({ outcome: await episode(options, student, teacher), student, teacher });
    }
    return seen;
  }

  // One sweep with the default budget, shared by the tests that check its episodes.
  const spentBudget = (o: EpisodeOutcome) => searches(o).length === 3;
  const rethought = (o: EpisodeOutcome) => o.turns.findIndex((t, i) => t.action.type === "review" && t.action.verdict === "rethink" && o.turns[i + 1]?.role === "student");
  let defaultSweep: Promise<Played[]> | undefined;
  const sampled = () => (defaultSweep ??= sweep({}, (s) => s.some(spentBudget) && s.some((o) => rethought(o) >= 0)));

  test("free text from a story model: an unreadable round is retried once, then passes and is reviewed as unreadable; the last round is begun with Finish[", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: stories260K });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const outcome = await episode({ constrainActions: false, maxTokens: 32, searchBudget: 1 }, student, teacher);
    const [first, retry] = outcome.turns;
    assert.deepEqual(first.action, { type: "invalid" });
    assert.match(first.formatError ?? "", /Action/);
    assert.equal(first.retry, undefined);
    assert.equal(retry.retry, 1);
    assert.match(retry.fallback ?? "", /^no action this round/);
    assert.ok(student.requests[1].prompt.includes("could not be read") && !student.requests[0].prompt.includes("could not be read"));
    // Round 0 passed with nothing searched and the Teacher reviewed that; in round 1 (the last) the action line is
    // begun with "Finish[" for the Student, so whatever the story model writes is its answer.
    assert.equal(searches(outcome).length, 0);
    assert.ok(teacher.requests[0].prompt.includes(UNREADABLE_STEP));
    const lastStudent = outcome.turns.filter((t) => t.role === "student").at(-1)!;
    assert.equal(lastStudent.step, 1);
    assert.equal(lastStudent.action.type, "finish");
    assert.equal(lastStudent.fallback, undefined);
    assert.equal(outcome.answer, lastStudent.action.type === "finish" ? lastStudent.action.answer : null);
    assert.equal(outcome.stoppedBecause, "finished");
    assert.ok(outcome.turns.every((t) => t.text.startsWith("Summary:")));
  });

  test("free text with no searches left: the action line is begun with Finish[, only the answer is generated, and the Teacher never reviews a Finish", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: stories260K });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const outcome = await episode({ constrainActions: false, maxTokens: 24, searchBudget: 0 }, student, teacher);
    const [finish] = outcome.turns;
    assert.equal(outcome.turns.length, 1);
    assert.equal(finish.calls, 2);
    assert.equal(student.requests[1].prefix?.endsWith("\nAction: Finish["), true);
    assert.match(finish.text, /\nAction: Finish\[[^\]\n]*\]$/);
    assert.equal(finish.action.type, "finish");
    assert.equal(teacher.requests.length, 0);
    assert.equal(outcome.stoppedBecause, "finished");
    assert.equal(outcome.answer, finish.action.type === "finish" ? finish.action.answer : undefined);
  });

  test("constrained replies: each search runs at once and is reviewed once; at most 3 searches, then only Finish; the Teacher never reviews a Finish", async () => {
    const seen = await sampled();
    assert.ok(seen.some((s) => spentBudget(s.outcome)), `no episode in ${seen.length} seeds spent the search budget`);
    for (const { outcome, student } of seen) {
      assert.ok(searches(outcome).length <= 3);
      assert.ok(["finished", "formatFallback"].includes(outcome.stoppedBecause));
      // The rounds: the Student's step, and after a search (or an unreadable step) exactly one Teacher review.
      const rounds = new Map<number, Turn[]>();
      for (const t of outcome.turns) rounds.set(t.step, [...(rounds.get(t.step) ?? []), t]);
      for (const [round, turns] of rounds) {
        const step = turns.filter((t) => t.role === "student").at(-1)!;
        const reviews = turns.filter((t) => t.role === "teacher" && t.action.type !== "invalid");
        assert.ok(turns.findIndex((t) => t.role === "teacher") < 0 || turns.findIndex((t) => t.role === "teacher") > turns.indexOf(step), `round ${round}: review before the step`);
        if (step.action.type === "finish") assert.equal(reviews.length, 0, `round ${round}: a Finish was reviewed`);
        else assert.equal(reviews.length, 1, `round ${round}: ${reviews.length} reviews`);
        if (step.action.type === "search") {
          assert.ok(step.observation !== undefined, "a search runs at once");
          assert.ok(step.observation === "No paragraph matches this search." || paragraphs.some((p) => p.startsWith(step.observation!.split("\n")[0])));
        }
      }
      // Once the budget is spent the grammar itself allows only Finish.
      const schemas = student.requests.map((r) => JSON.stringify(r.jsonSchema));
      if (searches(outcome).length === 3) assert.ok(schemas.at(-1)!.includes('"const":"Finish"'));
      const last = outcome.turns.filter((t) => t.role === "student").at(-1)!;
      assert.equal(last.action.type, "finish");
      assert.equal(outcome.answer, last.action.type === "finish" ? last.action.answer : undefined);
    }
  });

  test("the Teacher's verdict and justification reach the Student's next round and the Teacher's next review", async () => {
    const seen = await sampled();
    const found = seen.find((s) => rethought(s.outcome) >= 0);
    assert.ok(found, `no [Rethink] followed by a Student round in ${seen.length} seeds`);
    for (const { outcome, student, teacher } of seen) {
      outcome.turns.forEach((review, at) => {
        if (review.role !== "teacher" || review.action.type !== "review") return;
        if (outcome.turns[at + 1]?.role === "teacher") return; // a retry of this review follows
        const { verdict, advice } = review.action;
        const shown = `${verdict === "rethink" ? "[Rethink]" : "[Continue]"}${advice ? ` ${advice}` : ""}`;
        const nextStudent = student.requests[callsUpTo(outcome, "student", at)];
        if (nextStudent !== undefined) assert.ok(nextStudent.prompt.includes(`Teacher: ${shown}`), `turn ${at}: the Student did not see "${shown}"`);
        const nextReview = teacher.requests[callsUpTo(outcome, "teacher", at)];
        if (nextReview !== undefined) assert.ok(nextReview.prompt.includes(`Your previous advice: ${shown}`));
      });
    }
  });

  test("memory buffers append each round's summary and stay bounded; what a search read reaches both agents", async () => {
    const seen = await sampled();
    assert.ok(seen.some((s) => searches(s.outcome).length > 0));
    for (const { outcome, student, teacher } of seen) {
      for (const role of ["student", "teacher"] as const) {
        let previous = "";
        for (const turn of outcome.turns.filter((t): t is Turn & { summary: string } => t.role === role && t.summary !== undefined)) {
          assert.ok(turn.summary.length <= 480);
          // Appended, not replaced: until the bound is reached the buffer starts with what it held before.
          if (previous.length + turn.summary.length < 400 && previous !== "") assert.ok(turn.summary.startsWith(previous), `${role} turn ${turn.index} replaced its notes`);
          previous = turn.summary;
        }
      }
      for (const turn of searches(outcome)) {
        const observation = turn.observation!;
        const later = (endpoint: TalliedEndpoint) => endpoint.requests.slice(callsUpTo(outcome, endpoint.role, turn.index));
        assert.ok(later(teacher)[0]?.prompt.includes(observation), "the Teacher did not review the paragraph read");
        if (outcome.turns.some((t) => t.role === "student" && t.index > turn.index)) assert.ok(later(student).some((r) => r.prompt.includes(observation)), "the paragraph read never reached the Student");
      }
    }
  });

  test("an abort stops the episode at once, with the aborted generation still accounted", async () => {
    const controller = new AbortController();
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: stories260K });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const outcome = await new SearchQaProtocol({ ...SMALL, signal: controller.signal, onText: () => controller.abort() }).run({ question: item.question }, { student, teacher }, retriever);
    assertAccounted(outcome, [student, teacher]);
    assert.equal(outcome.stoppedBecause, "aborted");
    assert.equal(outcome.turns.length, 1);
    assert.equal(teacher.requests.length, 0);
  });

  test("the embedded default models run an episode with every generation accounted", async () => {
    const { candidates } = await ensureDefaultModels(defaultCacheDir());
    const [small, wide] = candidates;
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: small.path, modelId: small.id });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: wide.path, modelId: wide.id });
    // Their vocabulary is whole words, and JSON punctuation costs a token a character: give the reply room to close.
    const outcome = await episode({ maxTokens: 112 }, student, teacher);
    assert.ok(["finished", "formatFallback"].includes(outcome.stoppedBecause));
    assert.ok(Object.keys(outcome.tokens).every((id) => id === small.id || id === wide.id));
    assert.ok(searches(outcome).length <= 3);
  });
});
