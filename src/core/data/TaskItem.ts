/** What an agent is asked to do with an item; it decides the prompt and the metric. */
export type TaskKind = "search-qa" | "multiple-choice" | "open-qa";

/** One context paragraph: a title and its sentences, as HotpotQA stores them (sentences keep their leading space). */
export interface Paragraph {
  title: string;
  sentences: string[];
}

/** A sentence that supports the answer: the paragraph's title and the sentence's 0-based index in it. */
export interface SupportingFact {
  title: string;
  sentence: number;
}

/** Where an item was read from, so a later report can point back to the file. */
export interface ItemSource {
  file: string;
  /** 1-based line where the record starts; absent for records of a JSON array file. */
  line?: number;
  /** 0-based index of the record in a JSON array file. */
  record?: number;
}

/** One task item in the common shape every loader produces. */
export interface TaskItem {
  id: string;
  task: TaskKind;
  question: string;
  /** Reference answer; for multiple choice the letter ("A" for the first choice). Absent in users' own tasks without one. */
  answer?: string;
  /** Paragraphs to search (HotpotQA distractor setting: 10 per item, 2 of them gold). */
  context?: Paragraph[];
  choices?: string[];
  /** MMLU subject, e.g. "abstract_algebra". */
  subject?: string;
  supportingFacts?: SupportingFact[];
  /** HotpotQA question type: "bridge" or "comparison". */
  questionType?: string;
  /** HotpotQA difficulty: "easy", "medium" or "hard". */
  level?: string;
  source?: ItemSource;
}
