/** One malformed record (or unreadable file): where it is and what was wrong with it. */
export interface DataProblem {
  file: string;
  /** 1-based line where the record starts, when the format has lines. */
  line?: number;
  /** 0-based index of the record in a JSON array file. */
  record?: number;
  /** Path of the offending field, e.g. `choices` or `context[3][1]`; absent when the record as a whole is bad. */
  field?: string;
  message: string;
}

/** `file:line field "x": message`, the shape editors and terminals turn into a link. */
export function formatProblem(problem: DataProblem): string {
  let where = problem.file;
  if (problem.line !== undefined) where += `:${problem.line}`;
  else if (problem.record !== undefined) where += ` record ${problem.record}`;
  const field = problem.field !== undefined ? ` field "${problem.field}"` : "";
  return `${where}${field}: ${problem.message}`;
}

/** Thrown by loaders in strict mode for the first problem; the message holds file:line and field. */
export class DataProblemError extends Error {
  readonly problem: DataProblem;

  constructor(problem: DataProblem) {
    super(formatProblem(problem));
    this.name = "DataProblemError";
    this.problem = problem;
  }
}
