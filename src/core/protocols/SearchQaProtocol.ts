// The search-QA protocol (HotpotQA), as the HAPS paper defines it (Appendix B, Algorithm 1; reference code
// HotpotQA/joint_rl/agent.py):
//
//   for round t = 0 .. B (B = the search budget, 3):
//     the Student writes its notes (a summary of what it newly learned), a thought, and an action:
//       Search[entity] runs at once and returns the best-matching paragraph of the item's own context;
//       Finish[answer] ends the episode with that answer (the Teacher never reviews a Finish);
//     at t = B no search is left: the action must be Finish, and any other action ends with an empty answer;
//     after a search, the Teacher reviews that retrieval: it writes its notes and a thought and says [Continue] (the
//     retrieval was useful) or [Rethink] with a justification asking for a revised search; its message reaches the
//     Student's next round. The verdict does not change the control flow: the round is spent either way.
//
// So there are at most B searches and B reviews. Each agent keeps a memory buffer (RunningSummary) to which its
// summary of each round is appended. A reply that cannot be read is retried once with a format reminder; after that
// the Student's round passes with nothing done (the Teacher reviews the unreadable step, as in the reference code),
// or, in the last round, the episode ends with an empty answer; the Teacher's unreadable review counts as [Continue].
import { DEFAULT_FIELD_LIMITS, studentStepSchema, teacherReviewSchema } from "./actionSchemas.ts";
import { parseStudentStep, parseStudentStepJson, parseTeacherReview, parseTeacherReviewJson, type ParsedReply, type ReviewAction, type StudentAction } from "./parseActions.ts";
import { searchQa, type ShownResult, type ShownReview } from "./prompts.ts";
import { readParagraph } from "./readParagraph.ts";
import { RunningSummary } from "./RunningSummary.ts";
import { Transcript, type Answered, type TurnDraft } from "./Transcript.ts";
import type { AgentPair, EpisodeOutcome, ParagraphRetriever, SearchQaOptions } from "./types.ts";

/** What the protocol needs of an item: its question. Its paragraphs are reached through the retriever. */
export interface SearchQaTask {
  question: string;
}

// Where a free-text reply has gone past its own turn and started inventing the next one.
const STUDENT_STOPS = ["\nObservation", "\nQuestion:", "\nSummary:", "\nLatest search:"];
const TEACHER_STOPS = ["\nQuestion:", "\nSummary:", "\nLatest search:", "\nThe student"];

const STUDENT_FALLBACK_RULE = "no action this round: the Teacher reviews the unreadable step";
const STUDENT_LAST_FALLBACK_RULE = "no answer: the last round ends with an empty answer";
const TEACHER_FALLBACK_RULE = "[Continue]: an unreadable review does not hold the Student back";

/** What the Student's unreadable step shows the Teacher in place of a search result. */
export const UNREADABLE_STEP = "The student's reply could not be read; nothing was searched.";

/** Where the episode stands between rounds. */
interface EpisodeState {
  question: string;
  studentNotes: RunningSummary;
  teacherNotes: RunningSummary;
  searches: number;
  /** The latest search and its paragraph (the Student's new information in its next round). */
  result?: ShownResult;
  /** The Teacher's latest review, shown to the Student in its next round and to the Teacher in its next review. */
  review?: ShownReview;
  /** Paragraphs already read, so that a repeated search moves on to the next best match. */
  read: Set<number>;
}

export class SearchQaProtocol {
  private readonly constrained: boolean;
  private readonly maxTokens: number;
  private readonly formatRetries: number;
  private readonly limits: Required<NonNullable<SearchQaOptions["fieldLimits"]>>;
  private readonly searchBudget: number;
  private readonly summaryMaxChars: number;
  private readonly paragraphMaxChars: number;

  constructor(private readonly options: SearchQaOptions = {}) {
    this.constrained = options.constrainActions ?? true;
    this.maxTokens = options.maxTokens ?? 256;
    this.formatRetries = options.formatRetries ?? 1;
    this.limits = { ...DEFAULT_FIELD_LIMITS, ...options.fieldLimits };
    this.searchBudget = options.searchBudget ?? 3;
    this.summaryMaxChars = options.summaryMaxChars ?? 480;
    this.paragraphMaxChars = options.paragraphMaxChars ?? 700;
  }

  async run(task: SearchQaTask, agents: AgentPair, retriever: ParagraphRetriever): Promise<EpisodeOutcome> {
    const transcript = new Transcript({ signal: this.options.signal, onText: this.options.onText });
    const state: EpisodeState = {
      question: task.question,
      studentNotes: new RunningSummary(this.summaryMaxChars),
      teacherNotes: new RunningSummary(this.summaryMaxChars),
      searches: 0,
      read: new Set(),
    };
    for (let round = 0; round <= this.searchBudget; round++) {
      const last = round === this.searchBudget;
      const step = await this.studentTurn(transcript, agents, state, round, last);
      if (transcript.aborted) return transcript.outcome("", "aborted");
      state.studentNotes.append(step.parsed.summary, state.result?.paragraph);
      step.turn.summary = state.studentNotes.text;
      if (step.action.type === "finish") return transcript.outcome(step.action.answer, step.fellBack ? "formatFallback" : "finished");
      if (last) {
        // Past the budget only Finish ends well: a readable search here is answered with nothing (F1 0).
        return transcript.outcome("", step.fellBack ? "formatFallback" : "budgetExhausted");
      }
      let shown: ShownResult;
      if (step.fellBack) {
        shown = { query: "", paragraph: UNREADABLE_STEP };
      } else {
        const query = (step.action as Extract<StudentAction, { type: "search" }>).query;
        const paragraph = await readParagraph(retriever, query, state.read, this.paragraphMaxChars);
        state.searches++;
        shown = { query, paragraph };
        step.turn.observation = paragraph;
      }
      state.result = step.fellBack ? undefined : shown;
      await this.teacherTurn(transcript, agents, state, round, { thought: step.parsed.reasoning, ...shown });
      if (transcript.aborted) return transcript.outcome("", "aborted");
    }
    // Unreachable: the last round always returns.
    return transcript.outcome("", "budgetExhausted");
  }

  /** The Student's round: notes, thought, Search or Finish. */
  private async studentTurn(transcript: Transcript, agents: AgentPair, state: EpisodeState, round: number, last: boolean): Promise<Answered<StudentAction | { type: "invalid" }>> {
    const system = searchQa.studentSystem(this.constrained, this.searchBudget);
    return await transcript.ask<StudentAction | { type: "invalid" }>({
      endpoint: agents.student,
      step: round,
      format: searchQa.studentFormat(this.constrained, last),
      retries: this.formatRetries,
      fallback: last
        ? { rule: STUDENT_LAST_FALLBACK_RULE, action: () => ({ type: "finish", answer: "" }) }
        : { rule: STUDENT_FALLBACK_RULE, action: () => ({ type: "invalid" }) },
      attempt: async (draft, reminder) => {
        const prompt = searchQa.studentPrompt({
          question: state.question,
          notes: state.studentNotes.text,
          result: state.result,
          review: state.review,
          searchesLeft: this.searchBudget - state.searches,
          last,
          reminder,
        });
        return await this.studentReply(draft, system, prompt, last);
      },
    });
  }

  private async studentReply(draft: TurnDraft, system: string, prompt: string, last: boolean): Promise<{ text: string; parsed: ParsedReply<StudentAction> }> {
    if (this.constrained) {
      const text = await draft.call({ system, prompt, maxTokens: this.maxTokens, jsonSchema: studentStepSchema(this.limits, last) });
      return { text, parsed: parseStudentStepJson(text) };
    }
    if (!last) {
      const text = await draft.call({ system, prompt, prefix: "Summary:", stop: STUDENT_STOPS, maxTokens: this.maxTokens });
      return { text, parsed: parseStudentStep(text) };
    }
    // The last round keeps the reasoning first: the notes and thought as the model writes them, then the action
    // line begun for it with "Finish[", so that only the answer is left to write.
    const head = await draft.call({ system, prompt, prefix: "Summary:", stop: ["\nAction", ...STUDENT_STOPS], maxTokens: this.maxTokens });
    const text = `${await draft.call({ system, prompt, prefix: `${head.trimEnd()}\nAction: Finish[`, stop: ["]", "\n"], maxTokens: this.maxTokens })}]`;
    return { text, parsed: parseStudentStep(text) };
  }

  /** The Teacher's review of the round's retrieval: notes, thought, [Continue] or [Rethink] with a justification. */
  private async teacherTurn(
    transcript: Transcript,
    agents: AgentPair,
    state: EpisodeState,
    round: number,
    step: { thought: string; query: string; paragraph: string },
  ): Promise<void> {
    const system = searchQa.teacherSystem(this.constrained);
    const review = await transcript.ask<ReviewAction>({
      endpoint: agents.teacher,
      step: round,
      format: searchQa.teacherFormat(this.constrained),
      retries: this.formatRetries,
      fallback: { rule: TEACHER_FALLBACK_RULE, action: () => ({ type: "review", verdict: "continue", advice: "" }) },
      attempt: async (draft, reminder) => {
        const prompt = searchQa.teacherPrompt({
          question: state.question,
          notes: state.teacherNotes.text,
          previous: state.review,
          step,
          searchesLeft: this.searchBudget - state.searches,
          reminder,
        });
        if (this.constrained) {
          const text = await draft.call({ system, prompt, maxTokens: this.maxTokens, jsonSchema: teacherReviewSchema(this.limits) });
          return { text, parsed: parseTeacherReviewJson(text) };
        }
        const text = await draft.call({ system, prompt, prefix: "Summary:", stop: TEACHER_STOPS, maxTokens: this.maxTokens });
        return { text, parsed: parseTeacherReview(text) };
      },
    });
    state.teacherNotes.append(review.parsed.summary, step.paragraph === UNREADABLE_STEP ? undefined : step.paragraph);
    review.turn.summary = state.teacherNotes.text;
    state.review = { verdict: review.action.verdict, advice: review.action.advice };
  }
}
