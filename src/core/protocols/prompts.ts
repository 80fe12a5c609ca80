// Our own prompts for the two protocols. Short on purpose: the agents are small local models, and every prompt
// token is paid for in the cost term of the reward. Each agent's reply format has two spellings: labelled lines
// (free text, read by the tolerant parsers) and JSON fields (when a grammar constrains the reply).

/** The latest search and the paragraph it returned. */
export interface ShownResult {
  query: string;
  paragraph: string;
}

/** The Teacher's review of the latest retrieval. */
export interface ShownReview {
  verdict: "continue" | "rethink";
  advice: string;
}

const NO_NOTES = "(nothing yet)";

function lines(...parts: (string | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p.length > 0).join("\n");
}

function reviewLine(review: ShownReview): string {
  return `${review.verdict === "rethink" ? "[Rethink]" : "[Continue]"}${review.advice ? ` ${review.advice}` : ""}`;
}

/** Tells an agent what was wrong with its last reply; appended to the prompt of a retry. */
export function formatReminder(error: string, format: string): string {
  return `Your previous reply could not be read (${error}). Reply again, exactly in this format:\n${format}`;
}

export const searchQa = {
  studentFormat(constrained: boolean, last: boolean): string {
    const action = last ? "Finish[your short answer]" : "Search[an entity] or Finish[your short answer]";
    return constrained
      ? `JSON with "summary", "thought", "action" (${last ? '"Finish"' : '"Search" or "Finish"'}) and "argument" (the entity or the answer).`
      : `Summary: <what the latest search taught you>\nThought: <your reasoning>\nAction: ${action}`;
  },

  studentSystem(constrained: boolean, searchBudget: number): string {
    return lines(
      "You answer a question by reading encyclopedia paragraphs, one search per round.",
      "Each round, first note what the latest search taught you (Summary), then reason about what is still missing (Thought), then act (Action):",
      "Search[entity] reads the paragraph that best matches the entity; Finish[answer] ends with a short answer (a name, a date, yes or no).",
      `A teacher reviews each search: [Continue] when it was useful, [Rethink] with advice on how to search instead. After ${searchBudget} searches you must answer.`,
      constrained ? "Reply in JSON with the fields summary, thought, action and argument." : "Reply with exactly three lines: Summary:, Thought:, Action:.",
    );
  },

  studentPrompt(input: {
    question: string;
    notes: string;
    result?: ShownResult;
    review?: ShownReview;
    searchesLeft: number;
    last: boolean;
    reminder?: string;
  }): string {
    return lines(
      `Question: ${input.question}`,
      `Your notes: ${input.notes || NO_NOTES}`,
      input.result === undefined ? "Latest search: none yet." : `Latest search: Search[${input.result.query}] returned:\n${input.result.paragraph}`,
      input.review && `Teacher: ${reviewLine(input.review)}`,
      input.last ? "You have no searches left: answer now with Finish[...]." : `Searches left: ${input.searchesLeft}.`,
      input.reminder,
    );
  },

  teacherFormat(constrained: boolean): string {
    return constrained
      ? 'JSON with "summary", "thought", "verdict" ("Continue" or "Rethink") and "advice".'
      : "Summary: <what the search taught you>\nThought: <was the search useful?>\nVerdict: [Continue] or [Rethink] <one sentence of justification>";
  },

  teacherSystem(constrained: boolean): string {
    return lines(
      "You supervise a student who answers a question by searching encyclopedia paragraphs.",
      "After each search you see the student's reasoning, its search and the paragraph it returned.",
      "First note what the paragraph adds (Summary), then judge the search (Thought), then give a verdict:",
      "[Continue] when the retrieval was useful, or [Rethink] with one sentence of justification telling the student how to revise its search.",
      constrained ? "Reply in JSON with the fields summary, thought, verdict and advice." : "Reply with exactly three lines: Summary:, Thought:, Verdict:.",
    );
  },

  teacherPrompt(input: {
    question: string;
    notes: string;
    previous?: ShownReview;
    step: { thought: string; query: string; paragraph: string };
    searchesLeft: number;
    reminder?: string;
  }): string {
    const searched = input.step.query === "" ? input.step.paragraph : `Action: Search[${input.step.query}]\nIt returned:\n${input.step.paragraph}`;
    return lines(
      `Question: ${input.question}`,
      `Your notes: ${input.notes || NO_NOTES}`,
      input.previous && `Your previous advice: ${reviewLine(input.previous)}`,
      `The student (${input.searchesLeft} search(es) left) thought: ${input.step.thought || "(nothing)"}`,
      searched,
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
