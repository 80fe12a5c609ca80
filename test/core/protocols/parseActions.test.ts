import { test } from "node:test";
import assert from "node:assert/strict";
import {
  parseChoiceReply,
  parseChoiceReplyJson,
  parseDecisionReply,
  parseDecisionReplyJson,
  parseStudentStep,
  parseStudentStepJson,
  parseTeacherReview,
  parseTeacherReviewJson,
  splitSections,
} from "../../../src/core/protocols/parseActions.ts";

test("a well-formed Student step gives its summary, thought and action", () => {
  const parsed = parseStudentStep("Summary: The F430 replaced the 360.\nThought: I need the debut event.\nAction: Search[Ferrari F430]");
  assert.deepEqual(parsed.action, { type: "search", query: "Ferrari F430" });
  assert.equal(parsed.summary, "The F430 replaced the 360.");
  assert.equal(parsed.reasoning, "I need the debut event.");
  assert.equal(parsed.error, undefined);
  assert.deepEqual(parseStudentStep("Thought: done\nAction: Finish[2004 Paris Motor Show]").action, { type: "finish", answer: "2004 Paris Motor Show" });
});

test("Student actions tolerate case, spacing, bold labels, quotes and a missing closing bracket", () => {
  assert.deepEqual(parseStudentStep("thought: x\naction: search [ 'Ferrari 360' ]").action, { type: "search", query: "Ferrari 360" });
  assert.deepEqual(parseStudentStep("**Thought:** x\n**Action:** FINISH[\"yes\"]").action, { type: "finish", answer: "yes" });
  assert.deepEqual(parseStudentStep("Thought: x\nAction: Search[Ferrari 360").action, { type: "search", query: "Ferrari 360" });
  assert.deepEqual(parseStudentStep("Thought: x\n- Action: Finish[Paris] because it says so").action, { type: "finish", answer: "Paris" });
});

test("without an Action label the last complete call in the reply counts", () => {
  assert.deepEqual(parseStudentStep("I could Search[Ferrari 360] but I will Finish[Paris]").action, { type: "finish", answer: "Paris" });
});

test("the first Action line counts when a model goes on to invent the next turn", () => {
  const parsed = parseStudentStep("Thought: a\nAction: Search[Enzo Ferrari]\nObservation: ...\nThought: b\nAction: Finish[no]");
  assert.deepEqual(parsed.action, { type: "search", query: "Enzo Ferrari" });
  assert.equal(parsed.reasoning, "a");
});

test("broken Student steps are errors, never guesses", () => {
  const story = parseStudentStep("Summary:Once upon a time there was a little girl.\nShe liked to play.");
  assert.equal(story.action, null);
  assert.match(story.error ?? "", /no Action line/);
  assert.equal(story.summary, "Once upon a time there was a little girl.\nShe liked to play.");
  assert.match(parseStudentStep("Action: Lookup[Ferrari]").error ?? "", /neither Search/);
  assert.match(parseStudentStep("Action: Search[  ]").error ?? "", /needs an entity/);
  assert.equal(parseStudentStep("").action, null);
});

test("an empty Finish[] is a valid, empty answer", () => {
  assert.deepEqual(parseStudentStep("Action: Finish[]").action, { type: "finish", answer: "" });
});

test("Teacher reviews: bracketed or bare verdicts, advice after the verdict or the thought in its place", () => {
  const rethink = parseTeacherReview("Summary: s\nThought: The search is off topic.\nVerdict: [Rethink] Search the F430 instead.");
  assert.deepEqual(rethink.action, { type: "review", verdict: "rethink", advice: "Search the F430 instead." });
  const terse = parseTeacherReview("Thought: The answer is not supported yet.\nVerdict: [Rethink]");
  assert.deepEqual(terse.action, { type: "review", verdict: "rethink", advice: "The answer is not supported yet." });
  assert.equal(parseTeacherReview("Verdict: continue - good step").action?.verdict, "continue");
  assert.equal(parseTeacherReview("Looks fine to me. [CONTINUE]").action?.verdict, "continue");
});

test("Teacher reviews without a readable verdict are errors", () => {
  assert.match(parseTeacherReview("The student did well.").error ?? "", /no Verdict line/);
  assert.match(parseTeacherReview("[Continue] or maybe [Rethink]").error ?? "", /both/);
  assert.match(parseTeacherReview("Verdict: maybe").error ?? "", /neither/);
});

test("multiple-choice answers go through parseChoiceLetter, the Answer line first", () => {
  const parsed = parseChoiceReply("Solution: (A) is wrong since x^2+1 has a root.\nAnswer: B");
  assert.deepEqual(parsed.action, { type: "choice", letter: "B" });
  assert.equal(parsed.reasoning, "(A) is wrong since x^2+1 has a root.");
  assert.equal(parseChoiceReply("Solution: it must be (C).").action?.letter, "C");
  assert.equal(parseChoiceReply("Solution: we go to the park.").action, null);
  assert.equal(parseChoiceReply("Answer: E").action, null);
});

test("multiple-choice decisions: the Decision line, or a reply using only one of the two words", () => {
  assert.deepEqual(parseDecisionReply("Feedback: Check the sign.\nDecision: Continue").action, { type: "decision", decision: "continue", feedback: "Check the sign." });
  assert.equal(parseDecisionReply("Feedback: Right.\nDecision: **Submit**").action?.decision, "submit");
  assert.equal(parseDecisionReply("I would submit this.").action?.decision, "submit");
  assert.match(parseDecisionReply("Continue or submit?").error ?? "", /both/);
  assert.match(parseDecisionReply("Feedback: fine\nDecision: ok").error ?? "", /neither/);
});

test("JSON replies: complete objects parse, cut-off or off-schema ones are errors", () => {
  assert.deepEqual(parseStudentStepJson('{"summary":"s","thought":"t","action":"Search","argument":"Ferrari 360"}').action, { type: "search", query: "Ferrari 360" });
  assert.equal(parseStudentStepJson('{"summary":"s","thought":"t","action":"Finish","argument":""}').action?.type, "finish");
  assert.match(parseStudentStepJson('{"summary":"s","thought":"t","act').error ?? "", /not complete JSON/);
  assert.match(parseStudentStepJson("[1]").error ?? "", /not an object/);
  assert.match(parseStudentStepJson('{"action":"Jump","argument":"x"}').error ?? "", /neither Search nor Finish/);
  assert.deepEqual(parseTeacherReviewJson('{"summary":"","thought":"off topic","verdict":"Rethink","advice":""}').action, { type: "review", verdict: "rethink", advice: "off topic" });
  assert.equal(parseTeacherReviewJson('{"verdict":"Maybe"}').action, null);
  assert.equal(parseChoiceReplyJson('{"solution":"x","answer":"D"}').action?.letter, "D");
  assert.equal(parseChoiceReplyJson('{"solution":"x","answer":"E"}').action, null);
  assert.equal(parseDecisionReplyJson('{"feedback":"ok","decision":"Submit"}').action?.decision, "submit");
  assert.equal(parseDecisionReplyJson('{"feedback":"ok","decision":"Later"}').action, null);
});

test("sections run to the next label and the first of a repeated label counts", () => {
  const sections = splitSections("Summary: a\nmore a\nThought: b\nSummary: c");
  assert.equal(sections.summary, "a\nmore a");
  assert.equal(sections.thought, "b");
});
