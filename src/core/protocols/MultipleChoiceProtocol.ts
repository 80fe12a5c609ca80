// The multiple-choice protocol (MMLU): the Student solves and picks a letter, the Teacher reviews and either asks
// for a revision (Continue, with feedback) or accepts (Submit). At most `maxRounds` Student answers; the last one
// counts. The final round's answer cannot be revised, so the Teacher is not asked to review it.
import { CHOICE_LETTERS } from "../metrics/choice/parseChoiceLetter.ts";
import { choiceSchema, DEFAULT_FIELD_LIMITS, decisionSchema } from "./actionSchemas.ts";
import { parseChoiceReply, parseChoiceReplyJson, parseDecisionReply, parseDecisionReplyJson, type ChoiceAction, type DecisionAction } from "./parseActions.ts";
import { multipleChoice } from "./prompts.ts";
import { Transcript } from "./Transcript.ts";
import type { AgentPair, EpisodeOutcome, MultipleChoiceOptions } from "./types.ts";

/** What the protocol needs of an item: the question and its options, in letter order. */
export interface MultipleChoiceTask {
  question: string;
  choices: readonly string[];
}

const STUDENT_STOPS = ["\nQuestion:", "\nSolution:", "\nFeedback:", "\nTeacher"];
const TEACHER_STOPS = ["\nQuestion:", "\nFeedback:", "\nStudent"];

// A guessed letter would hand a model that said nothing a one-in-four chance of credit; an empty answer scores as
// wrong, which is what it is.
const STUDENT_FALLBACK_RULE = "keep the previous round's letter (empty in the first round)";
const TEACHER_FALLBACK_RULE = "Submit: an unreadable review lets the current answer stand";

/** The Student's answer in the running episode, or nothing yet. */
type StudentChoice = { type: "choice"; letter: ChoiceAction["letter"] | "" };

export class MultipleChoiceProtocol {
  private readonly constrained: boolean;
  private readonly maxTokens: number;
  private readonly formatRetries: number;
  private readonly limits: typeof DEFAULT_FIELD_LIMITS;
  private readonly maxRounds: number;

  constructor(private readonly options: MultipleChoiceOptions = {}) {
    this.constrained = options.constrainActions ?? true;
    this.maxTokens = options.maxTokens ?? 256;
    this.formatRetries = options.formatRetries ?? 1;
    this.limits = { ...DEFAULT_FIELD_LIMITS, ...options.fieldLimits };
    this.maxRounds = Math.max(1, options.maxRounds ?? 3);
  }

  async run(task: MultipleChoiceTask, agents: AgentPair): Promise<EpisodeOutcome> {
    if (task.choices.length < 2 || task.choices.length > CHOICE_LETTERS.length) {
      throw new Error(`MultipleChoiceProtocol: a question needs 2 to ${CHOICE_LETTERS.length} choices, got ${task.choices.length}`);
    }
    const letters = CHOICE_LETTERS.slice(0, task.choices.length);
    const transcript = new Transcript({ signal: this.options.signal, onText: this.options.onText });
    let letter: StudentChoice["letter"] = "";
    let previous: { solution: string; letter: string; feedback: string } | undefined;

    for (let round = 0; round < this.maxRounds; round++) {
      const answer = await transcript.ask<ChoiceAction | StudentChoice>({
        endpoint: agents.student,
        step: round,
        format: multipleChoice.studentFormat(this.constrained),
        retries: this.formatRetries,
        fallback: { rule: STUDENT_FALLBACK_RULE, action: () => ({ type: "choice", letter }) },
        attempt: async (draft, reminder) => {
          const system = multipleChoice.studentSystem(this.constrained);
          const prompt = multipleChoice.studentPrompt({ question: task.question, choices: task.choices, previous, reminder });
          if (this.constrained) {
            const text = await draft.call({ system, prompt, maxTokens: this.maxTokens, jsonSchema: choiceSchema(this.limits, letters) });
            return { text, parsed: parseChoiceReplyJson(text) };
          }
          const text = await draft.call({ system, prompt, prefix: "Solution:", stop: STUDENT_STOPS, maxTokens: this.maxTokens });
          const parsed = parseChoiceReply(text);
          // A letter past the last choice is as unreadable as no letter at all.
          if (parsed.action !== null && !letters.includes(parsed.action.letter)) {
            return { text, parsed: { ...parsed, action: null, error: `the answer ${parsed.action.letter} is not one of ${letters.join(", ")}` } };
          }
          return { text, parsed };
        },
      });
      letter = answer.action.letter;
      if (transcript.aborted) return transcript.outcome(letter, "aborted");
      if (round === this.maxRounds - 1) break;

      const review = await transcript.ask<DecisionAction>({
        endpoint: agents.teacher,
        step: round,
        format: multipleChoice.teacherFormat(this.constrained),
        retries: this.formatRetries,
        fallback: { rule: TEACHER_FALLBACK_RULE, action: () => ({ type: "decision", decision: "submit", feedback: "" }) },
        attempt: async (draft, reminder) => {
          const system = multipleChoice.teacherSystem(this.constrained);
          const prompt = multipleChoice.teacherPrompt({ question: task.question, choices: task.choices, solution: answer.parsed.reasoning, letter, reminder });
          if (this.constrained) {
            const text = await draft.call({ system, prompt, maxTokens: this.maxTokens, jsonSchema: decisionSchema(this.limits) });
            return { text, parsed: parseDecisionReplyJson(text) };
          }
          const text = await draft.call({ system, prompt, prefix: "Feedback:", stop: TEACHER_STOPS, maxTokens: this.maxTokens });
          return { text, parsed: parseDecisionReply(text) };
        },
      });
      if (transcript.aborted) return transcript.outcome(letter, "aborted");
      if (review.action.decision === "submit") return transcript.outcome(letter, "submitted");
      previous = { solution: answer.parsed.reasoning, letter, feedback: review.action.feedback };
    }
    return transcript.outcome(letter, "roundLimit");
  }
}
