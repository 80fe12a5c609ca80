// The search-QA protocol (HotpotQA): a Student that searches and answers, a Teacher that reviews every step.
//
// Each step: the Student updates its notes, thinks, and proposes Search[entity] or Finish[answer]. The Teacher
// updates its own notes, judges the proposal, and says [Continue] or [Rethink] with advice. A rethought step is
// redone by the Student with the advice in view; an accepted Search reads the best-matching paragraph of the item's
// own context, which both agents see next; an accepted Finish ends the episode. With the search budget spent, or at
// the last allowed step, the Student must finish.
//
// Each agent keeps running notes (RunningSummary): its own summary line of each turn replaces them, and when it
// wrote none, the first sentence of the paragraph it was shown is appended. The Student's notes move on only with
// an accepted step. Replies that cannot be read are retried once with a format reminder; then the Student's
// fallback is Finish[the title of the last paragraph read, or empty], and the Teacher's is [Continue].
import { DEFAULT_FIELD_LIMITS, studentStepSchema, teacherReviewSchema } from "./actionSchemas.ts";
import { guessAnswer } from "./guessAnswer.ts";
import { parseStudentStep, parseStudentStepJson, parseTeacherReview, parseTeacherReviewJson, type ParsedReply, type ReviewAction, type StudentAction } from "./parseActions.ts";
import { searchQa, type ShownResult, type ShownStep } from "./prompts.ts";
import { NO_MATCH, readParagraph } from "./readParagraph.ts";
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

const STUDENT_FALLBACK_RULE = "Finish with the name of the last paragraph read (empty when none was read)";
const TEACHER_FALLBACK_RULE = "[Continue]: an unreadable review does not hold the Student back";

/** Where the episode stands between turns. */
interface EpisodeState {
  question: string;
  studentNotes: RunningSummary;
  teacherNotes: RunningSummary;
  searches: number;
  steps: number;
  /** The latest accepted search and its paragraph; both agents see it in their next turns. */
  result?: ShownResult;
  /** A paragraph each agent has been shown but not yet folded into its notes. */
  studentUnseen?: string;
  teacherUnseen?: string;
  /** The Teacher's advice on the last accepted step, passed to the Student's next one. */
  teacherNote?: string;
  /** Paragraphs already read, so that a repeated search moves on to the next best match. */
  read: Set<number>;
  /** The last paragraph a search actually read (one that matched nothing reads none). */
  lastRead?: string;
}

export class SearchQaProtocol {
  private readonly constrained: boolean;
  private readonly maxTokens: number;
  private readonly formatRetries: number;
  private readonly limits: Required<NonNullable<SearchQaOptions["fieldLimits"]>>;
  private readonly searchBudget: number;
  private readonly maxSteps: number;
  private readonly maxRethinks: number;
  private readonly summaryMaxChars: number;
  private readonly paragraphMaxChars: number;

  constructor(private readonly options: SearchQaOptions = {}) {
    this.constrained = options.constrainActions ?? true;
    this.maxTokens = options.maxTokens ?? 256;
    this.formatRetries = options.formatRetries ?? 1;
    this.limits = { ...DEFAULT_FIELD_LIMITS, ...options.fieldLimits };
    this.searchBudget = options.searchBudget ?? 3;
    this.maxSteps = Math.max(1, options.maxSteps ?? 8);
    this.maxRethinks = options.maxRethinksPerStep ?? 1;
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
      steps: 0,
      read: new Set(),
    };
    for (;;) {
      let rethinks = 0;
      let redo: { step: ShownStep; advice: string } | undefined;
      for (;;) {
        const forced = state.searches >= this.searchBudget || state.steps >= this.maxSteps - 1;
        const proposal = await this.studentTurn(transcript, agents, state, forced, redo);
        state.steps++;
        if (transcript.aborted) return transcript.outcome("", "aborted");
        if (proposal.fellBack) {
          this.acceptStudentNotes(state, proposal);
          return transcript.outcome(answerOf(proposal.action), "formatFallback");
        }
        const review = await this.teacherTurn(transcript, agents, state, proposal);
        if (transcript.aborted) return transcript.outcome("", "aborted");
        const { verdict, advice } = review.action;
        if (verdict === "rethink" && rethinks < this.maxRethinks && state.steps < this.maxSteps) {
          rethinks++;
          redo = { step: shownStep(proposal), advice };
          continue;
        }
        this.acceptStudentNotes(state, proposal);
        state.teacherNote = advice || undefined;
        if (proposal.action.type === "finish") return transcript.outcome(proposal.action.answer, "finished");
        await this.search(state, retriever, proposal);
        break;
      }
    }
  }

  /** The Student's proposal for this step; a reply that stays unreadable becomes the fallback Finish. */
  private async studentTurn(
    transcript: Transcript,
    agents: AgentPair,
    state: EpisodeState,
    forced: boolean,
    redo: { step: ShownStep; advice: string } | undefined,
  ): Promise<Answered<StudentAction>> {
    const system = searchQa.studentSystem(this.constrained);
    return await transcript.ask<StudentAction>({
      endpoint: agents.student,
      step: state.steps,
      format: searchQa.studentFormat(this.constrained, forced),
      retries: this.formatRetries,
      fallback: {
        rule: STUDENT_FALLBACK_RULE,
        action: () => ({ type: "finish", answer: guessAnswer(state.lastRead) }),
      },
      attempt: async (draft, reminder) => {
        const prompt = searchQa.studentPrompt({
          question: state.question,
          summary: state.studentNotes.text,
          result: state.result,
          teacherNote: redo === undefined ? state.teacherNote : undefined,
          searchesLeft: Math.max(0, this.searchBudget - state.searches),
          forced,
          redo,
          reminder,
        });
        const { text, parsed } = await this.studentReply(draft, system, prompt, forced);
        if (forced && parsed.action?.type === "search") {
          return { text, parsed: { ...parsed, action: null, error: "no searches are left, so the action must be Finish[...]" } };
        }
        return { text, parsed };
      },
    });
  }

  private async studentReply(draft: TurnDraft, system: string, prompt: string, forced: boolean): Promise<{ text: string; parsed: ParsedReply<StudentAction> }> {
    if (this.constrained) {
      const text = await draft.call({ system, prompt, maxTokens: this.maxTokens, jsonSchema: studentStepSchema(this.limits, forced) });
      return { text, parsed: parseStudentStepJson(text) };
    }
    if (!forced) {
      const text = await draft.call({ system, prompt, prefix: "Summary:", stop: STUDENT_STOPS, maxTokens: this.maxTokens });
      return { text, parsed: parseStudentStep(text) };
    }
    // A forced finish keeps the reasoning first: the notes and thought as the model writes them, then the action
    // line begun for it with "Finish[", so that only the answer is left to write.
    const head = await draft.call({ system, prompt, prefix: "Summary:", stop: ["\nAction", ...STUDENT_STOPS], maxTokens: this.maxTokens });
    const text = `${await draft.call({ system, prompt, prefix: `${head.trimEnd()}\nAction: Finish[`, stop: ["]", "\n"], maxTokens: this.maxTokens })}]`;
    return { text, parsed: parseStudentStep(text) };
  }

  /** The Teacher's review of a proposal; a reply that stays unreadable counts as [Continue]. */
  private async teacherTurn(transcript: Transcript, agents: AgentPair, state: EpisodeState, proposal: Answered<StudentAction>): Promise<Answered<ReviewAction>> {
    const system = searchQa.teacherSystem(this.constrained);
    const review = await transcript.ask<ReviewAction>({
      endpoint: agents.teacher,
      step: proposal.turn.step,
      format: searchQa.teacherFormat(this.constrained),
      retries: this.formatRetries,
      fallback: { rule: TEACHER_FALLBACK_RULE, action: () => ({ type: "review", verdict: "continue", advice: "" }) },
      attempt: async (draft, reminder) => {
        const prompt = searchQa.teacherPrompt({
          question: state.question,
          summary: state.teacherNotes.text,
          result: state.result,
          step: shownStep(proposal),
          searchesLeft: Math.max(0, this.searchBudget - state.searches),
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
    // Every review is the Teacher's own turn, so its notes take in the paragraph whatever the verdict.
    state.teacherNotes.update(review.parsed.summary, state.teacherUnseen);
    state.teacherUnseen = undefined;
    review.turn.summary = state.teacherNotes.text;
    return review;
  }

  /** The Student's notes move on only with an accepted step: a rethought step's notes are discarded with it. */
  private acceptStudentNotes(state: EpisodeState, proposal: Answered<StudentAction>): void {
    state.studentNotes.update(proposal.parsed.summary, state.studentUnseen);
    state.studentUnseen = undefined;
    proposal.turn.summary = state.studentNotes.text;
  }

  /** Carries out an accepted Search; both agents see the paragraph in their next turns. */
  private async search(state: EpisodeState, retriever: ParagraphRetriever, proposal: Answered<StudentAction>): Promise<void> {
    if (proposal.action.type !== "search") return;
    const query = proposal.action.query;
    const paragraph = await readParagraph(retriever, query, state.read, this.paragraphMaxChars);
    state.searches++;
    state.result = { query, paragraph };
    if (paragraph !== NO_MATCH) state.lastRead = paragraph;
    state.studentUnseen = paragraph;
    state.teacherUnseen = paragraph;
    proposal.turn.observation = paragraph;
  }
}

function shownStep(proposal: Answered<StudentAction>): ShownStep {
  const action = proposal.action.type === "search" ? `Search[${proposal.action.query}]` : `Finish[${proposal.action.answer}]`;
  return { thought: proposal.parsed.reasoning, action };
}

function answerOf(action: StudentAction): string {
  return action.type === "finish" ? action.answer : "";
}
