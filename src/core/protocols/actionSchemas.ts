// JSON schemas that constrain each agent's reply through a llama.cpp grammar. Properties are generated in the order
// listed, so the reasoning comes before the action as in the free-text format. Every free-text field has a length
// cap: a grammar cannot stop a weak model from rambling inside a string, and a reply cut by the token limit is not
// JSON at all.

/** Longest text, in characters, of the free-text fields of a constrained reply. */
export interface FieldLimits {
  /** The running summary. Defaults to `240`. */
  summary?: number;
  /** The thought, solution or feedback. Defaults to `320`. */
  reasoning?: number;
  /** A search entity, an answer or a piece of advice. Defaults to `80`. */
  argument?: number;
}

export const DEFAULT_FIELD_LIMITS: Required<FieldLimits> = { summary: 240, reasoning: 320, argument: 80 };

function text(maxLength: number): object {
  return { type: "string", maxLength };
}

function object(properties: Record<string, object>): object {
  return { type: "object", properties, required: Object.keys(properties), additionalProperties: false };
}

export function studentStepSchema(limits: Required<FieldLimits>, forced: boolean): object {
  return object({
    summary: text(limits.summary),
    thought: text(limits.reasoning),
    action: forced ? { const: "Finish" } : { enum: ["Search", "Finish"] },
    argument: text(limits.argument),
  });
}

export function teacherReviewSchema(limits: Required<FieldLimits>): object {
  return object({
    summary: text(limits.summary),
    thought: text(limits.reasoning),
    verdict: { enum: ["Continue", "Rethink"] },
    advice: text(limits.argument),
  });
}

export function choiceSchema(limits: Required<FieldLimits>, letters: readonly string[]): object {
  return object({ solution: text(limits.reasoning), answer: { enum: [...letters] } });
}

export function decisionSchema(limits: Required<FieldLimits>): object {
  return object({ feedback: text(limits.reasoning), decision: { enum: ["Continue", "Submit"] } });
}
