export type { TaskItem, TaskKind, Paragraph, SupportingFact, ItemSource } from "./TaskItem.ts";
export { formatProblem, DataProblemError, type DataProblem } from "./problems/DataProblem.ts";
export type { LoadOptions, LoadResult } from "./problems/ProblemLog.ts";
export { loadHotpotQa } from "./hotpot/loadHotpotQa.ts";
export { hotpotLayout, hotpotRecordToItem, type HotpotLayout } from "./hotpot/hotpotRecord.ts";
export { loadMmluCsv } from "./mmlu/loadMmluCsv.ts";
export { loadMmluJsonl } from "./mmlu/loadMmluJsonl.ts";
export { mmluFileName } from "./mmlu/mmluFileName.ts";
export { loadCustomJsonl } from "./custom/loadCustomJsonl.ts";
