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
import { SearchQaProtocol } from "../../../src/core/protocols/SearchQaProtocol.ts";
import type { EpisodeOutcome, SearchQaOptions, Turn } from "../../../src/core/protocols/types.ts";
import { assertAccounted, firstHotpotItem, skipWithoutSharedFiles, stories260K, TalliedEndpoint, tinyRandom32k } from "./helpers.ts";

// Small enough that a whole episode takes well under a second; the JSON fields are capped to fit in the tokens.
const SMALL: SearchQaOptions = { maxTokens: 64, fieldLimits: { summary: 6, reasoning: 6, argument: 12 } };

const studentTurns = (o: EpisodeOutcome) => o.turns.filter((t) => t.role === "student" && t.action.type !== "invalid");
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
  const honouredRethink = (o: EpisodeOutcome) =>
    o.turns.findIndex((t, i) => t.action.type === "review" && t.action.verdict === "rethink" && o.turns[i + 1]?.role === "student");
  let defaultSweep: Promise<Played[]> | undefined;
  const sampled = () => (defaultSweep ??= sweep({}, (s) => s.some(spentBudget) && s.some((o) => honouredRethink(o) >= 0)));

  test("free text from a story model: each format error is recorded, retried once with a reminder, then the fallback Finish ends it", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: stories260K });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const outcome = await episode({ constrainActions: false, maxTokens: 32 }, student, teacher);
    assert.equal(outcome.turns.length, 2);
    const [first, retry] = outcome.turns;
    assert.deepEqual(first.action, { type: "invalid" });
    assert.match(first.formatError ?? "", /Action/);
    assert.equal(first.retry, undefined);
    assert.equal(retry.retry, 1);
    assert.ok(retry.formatError);
    assert.match(retry.fallback ?? "", /^Finish with the name of the last paragraph read/);
    // Nothing was read yet, so the fallback answer is empty.
    assert.deepEqual(retry.action, { type: "finish", answer: "" });
    assert.equal(outcome.answer, "");
    assert.equal(outcome.stoppedBecause, "formatFallback");
    assert.ok(student.requests[1].prompt.includes("could not be read") && !student.requests[0].prompt.includes("could not be read"));
    assert.equal(teacher.requests.length, 0);
    assert.ok(outcome.turns.every((t) => t.text.startsWith("Summary:")));
  });

  test("free text with no searches left: the action line is begun with Finish[ and only the answer is generated", async () => {
    const student = new TalliedEndpoint(runtime, { role: "student", modelPath: stories260K });
    const teacher = new TalliedEndpoint(runtime, { role: "teacher", modelPath: tinyRandom32k });
    const outcome = await episode({ constrainActions: false, maxTokens: 24, searchBudget: 0 }, student, teacher);
    const [proposal] = outcome.turns;
    assert.equal(proposal.calls, 2);
    assert.equal(student.requests[1].prefix?.endsWith("\nAction: Finish["), true);
    assert.match(proposal.text, /\nAction: Finish\[[^\]\n]*\]$/);
    assert.equal(proposal.action.type, "finish");
    assert.equal(proposal.formatError, undefined);
    // The random teacher writes no verdict in free text; its stated fallback is [Continue], so the Finish stands.
    const reviews = outcome.turns.filter((t) => t.role === "teacher");
    assert.equal(reviews.at(-1)?.fallback?.startsWith("[Continue]"), true);
    assert.equal(outcome.stoppedBecause, "finished");
    assert.equal(outcome.answer, proposal.action.type === "finish" ? proposal.action.answer : undefined);
  });

  test("constrained replies: the search budget of 3 is enforced, after it only Finish, and searches read the item's paragraphs", async () => {
    const seen = await sampled();
    const spent = seen.filter((s) => spentBudget(s.outcome));
    assert.ok(spent.length > 0, `no episode in ${seen.length} seeds spent the search budget`);
    for (const { outcome, student } of seen) {
      assert.ok(searches(outcome).length <= 3);
      assert.ok(["finished", "formatFallback"].includes(outcome.stoppedBecause));
      const schemas = student.requests.map((r) => JSON.stringify(r.jsonSchema));
      let made = 0;
      for (const turn of outcome.turns.filter((t) => t.role === "student")) {
        if (made >= 3) assert.equal(turn.action.type === "search", false, `turn ${turn.index} searched past the budget`);
        if (turn.observation !== undefined) {
          made++;
          assert.ok(turn.observation === "No paragraph matches this search." || paragraphs.some((p) => p.startsWith(turn.observation!.split("\n")[0])));
        }
      }
      // Once the budget is spent the grammar itself allows only Finish.
      const firstForced = schemas.findIndex((s) => s.includes('"const":"Finish"'));
      if (searches(outcome).length === 3) assert.ok(firstForced >= 0);
      const last = outcome.turns.filter((t) => t.role === "student").at(-1)!;
      assert.equal(last.action.type, "finish");
      assert.equal(outcome.answer, last.action.type === "finish" ? last.action.answer : undefined);
    }
  });

  test("a [Rethink] sends the step back once with the advice; the redo is reviewed and the rethought step leaves no notes", async () => {
    const seen = await sampled();
    const found = seen.find((s) => honouredRethink(s.outcome) >= 0);
    assert.ok(found, `no honoured [Rethink] in ${seen.length} seeds`);
    const { outcome, student } = found;
    const at = honouredRethink(outcome);
    const review = outcome.turns[at];
    const rejected = outcome.turns.slice(0, at).reverse().find((t) => t.role === "student")!;
    const redo = outcome.turns[at + 1];
    assert.equal(redo.step, rejected.step + 1, "a redo is a new student step");
    assert.equal(rejected.summary, undefined, "a rethought step's notes are discarded");
    assert.equal(rejected.observation, undefined, "a rethought search is not carried out");
    const advice = review.action.type === "review" ? review.action.advice : "";
    const redoRequest = student.requests[callsUpTo(outcome, "student", at)];
    assert.ok(redoRequest.prompt.includes(`The teacher asked you to rethink it: ${advice}`));
    // Every proposal is reviewed, redo or not; a step is sent back at most once (maxRethinksPerStep 1), so two
    // rejected proposals (those whose notes were discarded) never follow each other.
    for (const s of seen) {
      const proposals = studentTurns(s.outcome);
      for (const t of proposals) {
        if (t.fallback === undefined) assert.equal(s.outcome.turns[t.index + 1]?.role, "teacher", `proposal ${t.index} was not reviewed`);
      }
      const rejected = proposals.map((t) => t.summary === undefined);
      assert.ok(!rejected.some((r, i) => r && rejected[i + 1]), "a step was sent back twice");
    }
  });

  test("the step bound holds even when the Teacher keeps asking for rethinks; the last allowed step must finish", async () => {
    const seen = await sweep({ maxSteps: 2 }, (s) => s.some((o) => studentTurns(o).length === 2));
    assert.ok(seen.some((s) => studentTurns(s.outcome).length === 2), "no episode reached the step bound");
    for (const { outcome } of seen) {
      const steps = studentTurns(outcome);
      assert.ok(steps.length <= 2);
      if (steps.length === 2) assert.equal(steps[1].action.type, "finish");
      assert.ok(new Set(steps.map((t) => t.step)).size === steps.length);
    }
  });

  test("summaries stay bounded, and what a search read reaches both agents' next prompts", async () => {
    const seen = await sampled();
    assert.ok(seen.some((s) => searches(s.outcome).length > 0));
    for (const { outcome, student, teacher } of seen) {
      for (const turn of outcome.turns.filter((t): t is Turn & { summary: string } => t.summary !== undefined)) {
        assert.ok(turn.summary.length <= 480);
        // The rule: the agent's own (non-empty) summary line replaces its notes.
        const own = turn.formatError === undefined ? String(JSON.parse(turn.text).summary).replace(/\s+/g, " ").trim() : "";
        if (own !== "") assert.equal(turn.summary, own);
      }
      for (const turn of searches(outcome)) {
        const observation = turn.observation!;
        const later = (endpoint: TalliedEndpoint) => endpoint.requests.slice(callsUpTo(outcome, endpoint.role, turn.index));
        assert.ok(later(student).some((r) => r.prompt.includes(observation)), "the paragraph read never reached the Student");
        assert.ok(later(teacher).some((r) => r.prompt.includes(observation)), "the paragraph read never reached the Teacher");
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
