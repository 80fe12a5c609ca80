import { DataProblemError, type DataProblem } from "./DataProblem.ts";
import type { TaskItem } from "../TaskItem.ts";

/** Options every loader takes. */
export interface LoadOptions {
  /**
   * When true the first malformed record throws a `DataProblemError`; when false malformed records are skipped and
   * listed in `problems`, so one bad line does not cost a whole data set. Defaults to `false`.
   */
  strict?: boolean;
}

/** What a loader returns: the good items, in file order, and the records it skipped. */
export interface LoadResult {
  items: TaskItem[];
  problems: DataProblem[];
}

/** Collects problems, or throws the first one in strict mode. */
export class ProblemLog {
  readonly problems: DataProblem[] = [];
  readonly #strict: boolean;

  constructor(options: LoadOptions = {}) {
    this.#strict = options.strict ?? false;
  }

  report(problem: DataProblem): void {
    if (this.#strict) throw new DataProblemError(problem);
    this.problems.push(problem);
  }
}
