import type { z } from "zod";

/** A record's first validation failure, as the field path and a message that shows the value found there. */
export interface FieldIssue {
  field?: string;
  message: string;
}

/** `["context", 3, 1]` becomes `context[3][1]`. */
export function fieldPath(path: readonly PropertyKey[]): string | undefined {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? undefined : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function preview(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** Turns zod's first issue into a field path and a message with the offending value (zod's own omits it). */
export function firstIssue(error: z.ZodError, input: unknown): FieldIssue {
  const issue = error.issues[0];
  if (issue === undefined) return { message: "invalid record" };
  const found = valueAt(input, issue.path);
  return { field: fieldPath(issue.path), message: `${issue.message}; found ${preview(found)}` };
}
