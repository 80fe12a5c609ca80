// Our own prompts for the two protocols. Short on purpose: the agents are small local models, and every prompt
// token is paid for in the cost term of the reward. Each agent's reply format has two spellings: labelled lines
// (free text, read by the tolerant parsers) and JSON fields (when a grammar constrains the reply).

/** A Student step shown back to the Teacher, or to the Student itself when it must redo the step. */
export interface ShownStep {
  thought: string;
  /** The action as the Student wrote it: "Search[...]" or "Finish[...]". */
  action: string;
}

/** The latest search and the paragraph it returned. */
export interface ShownResult {
  query: string;
  paragraph: string;
}

const NO_NOTES = "(nothing yet)";

function lines(...parts: (string | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p.length > 0).join("\n");
}

function resultLines(result: ShownResult | undefined): string {
  return result === undefined ? "Latest search: none yet." : `Latest search: Search[${result.query}] returned:\n${result.paragraph}`;
}

/** Tells an agent what was wrong with its last reply; appended to the prompt of a retry. */
export function formatReminder(error: string, format: string): string {
  return `Your previous reply could not be read (${error}). Reply again, exactly in this format:\n${format}`;
}

export const searchQa = {
  studentFormat(constrained: boolean, forced: boolean): string {
    const action = forced ? "Finish[your short answer]" : "Search[an entity] or Finish[your short answer]";
    return constrained
      ? `JSON with "summary", "thought", "action" (${forced ? '"Finish"' : '"Search" or "Finish"'}) and "argument" (the entity or the answer).`
      : `Summary: <what you know so far>\nThought: <your reasoning>\nAction: ${action}`;
  },

  studentSystem(constrained: boolean): string {
    return lines(
      "You answer a question by reading encyclopedia paragraphs, one search at a time.",
      "Each turn, first update your notes with what the latest search showed (Summary), then reason about what is still missing (Thought), then act (Action):",
      "Search[entity] reads the paragraph that best matches the entity; Finish[answer] ends with a short answer (a name, a date, yes or no).",
      "A teacher reviews every step and may ask you to rethink it.",
      constrained ? "Reply in JSON with the fields summary, thought, action and argument." : "Reply with exactly three lines: Summary:, Thought:, Action:.",
    );
  },

  studentPrompt(input: {
    question: string;
    summary: string;
    result?: ShownResult;
    teacherNote?: string;
    searchesLeft: number;
    forced: boolean;
    redo?: { step: ShownStep; advice: string };
    reminder?: string;
  }): string {
    return lines(
      `Question: ${input.question}`,
      `Your notes: ${input.summary || NO_NOTES}`,
      resultLines(input.result),
      input.teacherNote && `Teacher's note: ${input.teacherNote}`,
      input.forced
        ? "You have no searches left: answer now with Finish[...]."
        : `Searches left: ${input.searchesLeft}.`,
      input.redo &&
        `Your last attempt at this step was:\nThought: ${input.redo.step.thought}\nAction: ${input.redo.step.action}\n` +
          `The teacher asked you to rethink it: ${input.redo.advice}`,
      input.reminder,
    );
  },

  teacherFormat(constrained: boolean): string {
    return constrained
      ? 'JSON with "summary", "thought", "verdict" ("Continue" or "Rethink") and "advice".'
      : "Summary: <what is known so far>\nThought: <is the step sound?>\nVerdict: [Continue] or [Rethink] <one sentence of advice>";
  },

  teacherSystem(constrained: boolean): string {
    return lines(
      "You supervise a student who answers a question by searching encyclopedia paragraphs.",
      "Each turn, first update your notes with what the latest search showed (Summary), then judge the student's proposed step (Thought), then give a verdict:",
      "[Continue] when the step moves toward the answer, or [Rethink] with one sentence of advice when the search is pointless or the answer is not supported.",
      constrained ? "Reply in JSON with the fields summary, thought, verdict and advice." : "Reply with exactly three lines: Summary:, Thought:, Verdict:.",
    );
  },

  teacherPrompt(input: { question: string; summary: string; result?: ShownResult; step: ShownStep; searchesLeft: number; reminder?: string }): string {
    return lines(
      `Question: ${input.question}`,
      `Your notes: ${input.summary || NO_NOTES}`,
      resultLines(input.result),
      `The student has ${input.searchesLeft} search(es) left and proposes:\nThought: ${input.step.thought}\nAction: ${input.step.action}`,
      input.reminder,
    );
  },
};

export const multipleChoice = {
  studentFormat(constrained: boolean): string {
    return constrained
      ? 'JSON with "solution" and "answer" (one of "A", "B", "C", "D").'
      : "Solution: <brief working>\nAnswer: <A, B, C or D>";
  },

  studentSystem(constrained: boolean): string {
    return lines(
      "You answer multiple-choice questions. Work the problem out briefly, then choose one option.",
      constrained ? "Reply in JSON with the fields solution and answer." : "Reply with two lines: Solution: and Answer: followed by a single letter.",
    );
  },

  studentPrompt(input: {
    question: string;
    choices: readonly string[];
    previous?: { solution: string; letter: string; feedback: string };
    reminder?: string;
  }): string {
    return lines(
      `Question: ${input.question}`,
      choiceLines(input.choices),
      input.previous &&
        `Your previous solution: ${input.previous.solution || "(none)"}\nYour previous answer: ${input.previous.letter || "(none)"}\n` +
          `Teacher's feedback: ${input.previous.feedback || "(none)"}\nRevise your solution in light of the feedback.`,
      input.reminder,
    );
  },

  teacherFormat(constrained: boolean): string {
    return constrained
      ? 'JSON with "feedback" and "decision" ("Continue" to ask for a revision, "Submit" to accept).'
      : "Feedback: <the mistake, or why the answer holds>\nDecision: Continue or Submit";
  },

  teacherSystem(constrained: boolean): string {
    return lines(
      "You check a student's answer to a multiple-choice question.",
      "Give feedback on the working, then decide: Continue when the student should revise, Submit when the answer is right.",
      constrained ? "Reply in JSON with the fields feedback and decision." : "Reply with two lines: Feedback: and Decision:.",
    );
  },

  teacherPrompt(input: { question: string; choices: readonly string[]; solution: string; letter: string; reminder?: string }): string {
    return lines(
      `Question: ${input.question}`,
      choiceLines(input.choices),
      `Student's solution: ${input.solution || "(none)"}`,
      `Student's answer: ${input.letter || "(none)"}`,
      input.reminder,
    );
  },
};

function choiceLines(choices: readonly string[]): string {
  return choices.map((c, i) => `${String.fromCharCode(65 + i)}. ${c}`).join("\n");
}
