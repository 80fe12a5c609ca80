// Tolerant readers of the agents' replies, in both reply formats: labelled lines ("Thought: ...") and the JSON that
// constrained generation produces. They never throw: a reply they cannot read comes back with `error` set, and the
// protocol applies its stated rule (a retry with a format reminder, then a fallback).
import { parseChoiceLetter, type ChoiceLetter } from "../metrics/choice/parseChoiceLetter.ts";

/** What a reply said, as far as it could be read. `action` is null exactly when `error` is set. */
export interface ParsedReply<A> {
  action: A | null;
  reasoning: string;
  /** The agent's own updated summary, when it wrote a non-empty one. */
  summary?: string;
  error?: string;
}

export type StudentAction = { type: "search"; query: string } | { type: "finish"; answer: string };
export type ReviewAction = { type: "review"; verdict: "continue" | "rethink"; advice: string };
export type ChoiceAction = { type: "choice"; letter: ChoiceLetter };
export type DecisionAction = { type: "decision"; decision: "continue" | "submit"; feedback: string };

const LABELS = ["summary", "thought", "action", "verdict", "solution", "answer", "feedback", "decision"] as const;
type Label = (typeof LABELS)[number];

// A label opens a line, optionally in markdown bold or after a list marker: "Thought:", "**Action:**", "- Answer:".
const LABEL_LINE = new RegExp(`^[\\s>*-]*(?:\\*\\*)?(${LABELS.join("|")})(?:\\*\\*)?\\s*:(?:\\*\\*)?\\s*(.*)$`, "i");

/**
 * Splits a reply into its labelled sections. A section runs until the next label line; when a label repeats, the
 * first section counts, because weak models that keep going after their action start inventing the next turn.
 */
export function splitSections(text: string): Partial<Record<Label, string>> {
  const sections: Partial<Record<Label, string>> = {};
  let current: Label | null = null;
  let lines: string[] = [];
  const close = () => {
    if (current !== null && sections[current] === undefined) sections[current] = lines.join("\n").trim();
  };
  for (const line of text.split(/\r?\n/)) {
    const match = LABEL_LINE.exec(line);
    if (match !== null) {
      close();
      current = match[1].toLowerCase() as Label;
      lines = [match[2]];
    } else if (current !== null) {
      lines.push(line);
    }
  }
  close();
  return sections;
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

// Models wrap arguments in quotes often enough that keeping them would spoil searches and answers.
function stripQuotes(text: string): string {
  return text.trim().replace(/^["'“‘`]+|["'”’`]+$/g, "").trim();
}

const ACTION_CALL = /^(search|finish)\s*\[([^\]\n]*)(\])?/i;
const ACTION_ANYWHERE = /\b(search|finish)\s*\[([^\]\n]*)\]/gi;

/**
 * Reads a search-QA Student reply: "Summary: ...", "Thought: ...", "Action: Search[entity]" or "Finish[answer]".
 * Tolerated: any letter case, spaces before "[", quotes around the argument, a missing "]" at the end of the line
 * (a reply cut by the token limit), and a missing "Action:" label (then the last complete Search[...] or Finish[...]
 * in the reply counts, being the agent's final word). Errors: no action, an unknown action, an empty Search[] query.
 */
export function parseStudentStep(text: string): ParsedReply<StudentAction> {
  const sections = splitSections(text);
  const reasoning = sections.thought ?? "";
  const summary = nonEmpty(sections.summary);
  let call: { name: string; argument: string } | null = null;
  if (sections.action !== undefined) {
    const firstLine = sections.action.split("\n")[0].trim();
    const match = ACTION_CALL.exec(firstLine);
    if (match === null) {
      return { action: null, reasoning, summary, error: `the action "${clip(firstLine)}" is neither Search[...] nor Finish[...]` };
    }
    call = { name: match[1], argument: match[2] };
  } else {
    const calls = [...text.matchAll(ACTION_ANYWHERE)];
    const last = calls.at(-1);
    if (last === undefined) return { action: null, reasoning, summary, error: "no Action line with Search[...] or Finish[...]" };
    call = { name: last[1], argument: last[2] };
  }
  return { ...toStudentAction(call.name, call.argument), reasoning, summary };
}

function toStudentAction(name: string, rawArgument: string): Pick<ParsedReply<StudentAction>, "action" | "error"> {
  const argument = stripQuotes(rawArgument);
  if (name.toLowerCase() === "finish") return { action: { type: "finish", answer: argument } };
  if (argument === "") return { action: null, error: "Search[] needs an entity to search for" };
  return { action: { type: "search", query: argument } };
}

const VERDICT_TOKEN = /\[\s*(continue|rethink)\s*\]/gi;
const VERDICT_WORD = /^(continue|rethink)\b/i;

/**
 * Reads a search-QA Teacher review: "Summary: ...", "Thought: ...", "Verdict: [Continue]" or "[Rethink] advice".
 * The verdict is the first bracketed one in the Verdict section, or a bare "Continue"/"Rethink" opening it; with no
 * Verdict label, a bracketed verdict anywhere counts when only one kind appears. Advice is what follows the verdict;
 * when empty, the thought stands in for it, since that is where a terse teacher puts its reason.
 */
export function parseTeacherReview(text: string): ParsedReply<ReviewAction> {
  const sections = splitSections(text);
  const reasoning = sections.thought ?? "";
  const summary = nonEmpty(sections.summary);
  let verdict: string | undefined;
  let after = "";
  if (sections.verdict !== undefined) {
    const section = sections.verdict;
    const bracketed = [...section.matchAll(VERDICT_TOKEN)][0];
    const bare = VERDICT_WORD.exec(section.trim());
    if (bracketed !== undefined) {
      verdict = bracketed[1];
      after = section.slice((bracketed.index ?? 0) + bracketed[0].length);
    } else if (bare !== null) {
      verdict = bare[1];
      after = section.trim().slice(bare[0].length);
    } else {
      return { action: null, reasoning, summary, error: `the verdict "${clip(section)}" is neither [Continue] nor [Rethink]` };
    }
  } else {
    const found = [...text.matchAll(VERDICT_TOKEN)];
    const kinds = new Set(found.map((m) => m[1].toLowerCase()));
    if (kinds.size === 0) return { action: null, reasoning, summary, error: "no Verdict line with [Continue] or [Rethink]" };
    if (kinds.size > 1) return { action: null, reasoning, summary, error: "both [Continue] and [Rethink] appear and no Verdict line says which" };
    verdict = found[0][1];
    after = text.slice((found[0].index ?? 0) + found[0][0].length).split("\n")[0];
  }
  const advice = nonEmpty(after.replace(/^[\s:.,;–—-]+/, "")) ?? reasoning.trim();
  return { action: { type: "review", verdict: verdict.toLowerCase() as "continue" | "rethink", advice }, reasoning, summary };
}

/**
 * Reads a multiple-choice Student reply: "Solution: ..." then "Answer: <letter>". The letter comes from the Answer
 * section when there is one, else from the whole reply, both through `parseChoiceLetter` (src/core/metrics).
 */
export function parseChoiceReply(text: string): ParsedReply<ChoiceAction> {
  const sections = splitSections(text);
  const reasoning = sections.solution ?? text.split(/^[\s*]*answer\s*:/im)[0].trim();
  const letter =
    (sections.answer !== undefined ? parseChoiceLetter(`Answer: ${sections.answer.split("\n")[0]}`) : null) ?? parseChoiceLetter(text);
  if (letter === null) return { action: null, reasoning, error: "no answer letter A, B, C or D" };
  return { action: { type: "choice", letter }, reasoning };
}

const DECISION_WORD = /\b(continue|submit)\b/gi;

/**
 * Reads a multiple-choice Teacher reply: "Feedback: ..." then "Decision: Continue" (revise) or "Submit". The first
 * of the two words in the Decision section counts; with no Decision label, the reply must use only one of them.
 */
export function parseDecisionReply(text: string): ParsedReply<DecisionAction> {
  const sections = splitSections(text);
  const feedback = sections.feedback ?? "";
  let decision: string | undefined;
  if (sections.decision !== undefined) {
    decision = [...sections.decision.matchAll(DECISION_WORD)][0]?.[1];
    if (decision === undefined) return { action: null, reasoning: feedback, error: `the decision "${clip(sections.decision)}" is neither Continue nor Submit` };
  } else {
    const kinds = new Set([...text.matchAll(DECISION_WORD)].map((m) => m[1].toLowerCase()));
    if (kinds.size !== 1) {
      return { action: null, reasoning: feedback, error: kinds.size === 0 ? "no Decision line with Continue or Submit" : "both Continue and Submit appear and no Decision line says which" };
    }
    [decision] = kinds;
  }
  return { action: { type: "decision", decision: decision.toLowerCase() as "continue" | "submit", feedback: feedback.trim() }, reasoning: feedback };
}

/** Parses constrained (JSON) output; a reply cut by the token limit is the usual failure. */
export function parseJsonObject(text: string): { value: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `the reply is not complete JSON (cut off by the token limit?): "${clip(text)}"` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { error: "the reply is JSON but not an object" };
  return { value: value as Record<string, unknown> };
}

function field(value: Record<string, unknown>, name: string): string {
  const v = value[name];
  return typeof v === "string" ? v.trim() : "";
}

/** The JSON form of `parseStudentStep`: {"summary", "thought", "action": "Search"|"Finish", "argument"}. */
export function parseStudentStepJson(text: string): ParsedReply<StudentAction> {
  const parsed = parseJsonObject(text);
  if ("error" in parsed) return { action: null, reasoning: "", error: parsed.error };
  const { value } = parsed;
  const reasoning = field(value, "thought");
  const summary = nonEmpty(field(value, "summary"));
  const name = field(value, "action");
  if (!/^(search|finish)$/i.test(name)) return { action: null, reasoning, summary, error: `the action "${clip(name)}" is neither Search nor Finish` };
  return { ...toStudentAction(name, field(value, "argument")), reasoning, summary };
}

/** The JSON form of `parseTeacherReview`: {"summary", "thought", "verdict": "Continue"|"Rethink", "advice"}. */
export function parseTeacherReviewJson(text: string): ParsedReply<ReviewAction> {
  const parsed = parseJsonObject(text);
  if ("error" in parsed) return { action: null, reasoning: "", error: parsed.error };
  const { value } = parsed;
  const reasoning = field(value, "thought");
  const summary = nonEmpty(field(value, "summary"));
  const verdict = field(value, "verdict").toLowerCase();
  if (verdict !== "continue" && verdict !== "rethink") return { action: null, reasoning, summary, error: `the verdict "${clip(verdict)}" is neither Continue nor Rethink` };
  return { action: { type: "review", verdict, advice: field(value, "advice") || reasoning }, reasoning, summary };
}

/** The JSON form of `parseChoiceReply`: {"solution", "answer": "A"|"B"|"C"|"D"}. */
export function parseChoiceReplyJson(text: string): ParsedReply<ChoiceAction> {
  const parsed = parseJsonObject(text);
  if ("error" in parsed) return { action: null, reasoning: "", error: parsed.error };
  const reasoning = field(parsed.value, "solution");
  const letter = parseChoiceLetter(field(parsed.value, "answer"));
  if (letter === null) return { action: null, reasoning, error: "no answer letter A, B, C or D" };
  return { action: { type: "choice", letter }, reasoning };
}

/** The JSON form of `parseDecisionReply`: {"feedback", "decision": "Continue"|"Submit"}. */
export function parseDecisionReplyJson(text: string): ParsedReply<DecisionAction> {
  const parsed = parseJsonObject(text);
  if ("error" in parsed) return { action: null, reasoning: "", error: parsed.error };
  const feedback = field(parsed.value, "feedback");
  const decision = field(parsed.value, "decision").toLowerCase();
  if (decision !== "continue" && decision !== "submit") return { action: null, reasoning: feedback, error: `the decision "${clip(decision)}" is neither Continue nor Submit` };
  return { action: { type: "decision", decision, feedback }, reasoning: feedback };
}

function clip(text: string, max = 60): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
