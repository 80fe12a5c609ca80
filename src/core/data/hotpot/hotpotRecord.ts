import { z } from "zod";
import { firstIssue, type FieldIssue } from "../problems/firstIssue.ts";
import type { ItemSource, TaskItem } from "../TaskItem.ts";

const nonEmpty = z.string().min(1, "expected a non-empty string");
const sentenceIndex = z.number().int().min(0);

/** The original HotpotQA layout (the distractor JSON files and the HAPS jsonl files). */
const originalRecord = z.object({
  _id: nonEmpty,
  question: nonEmpty,
  answer: z.string(),
  supporting_facts: z.array(z.tuple([z.string(), sentenceIndex])),
  context: z.array(z.tuple([z.string(), z.array(z.string())])),
  type: z.string().optional(),
  level: z.string().optional(),
});

/** The Hugging Face `hotpot_qa` layout: parallel arrays instead of pairs. */
const huggingFaceRecord = z.object({
  id: nonEmpty,
  question: nonEmpty,
  answer: z.string(),
  supporting_facts: z.object({ title: z.array(z.string()), sent_id: z.array(sentenceIndex) }),
  context: z.object({ title: z.array(z.string()), sentences: z.array(z.array(z.string())) }),
  type: z.string().optional(),
  level: z.string().optional(),
});

export type HotpotLayout = "original" | "hugging-face";

/**
 * The layout of one record, told by the shape of `context` (pairs in the original, parallel arrays in Hugging Face's),
 * so files that mix both still load. Null when `context` is neither.
 */
export function hotpotLayout(value: unknown): HotpotLayout | null {
  if (typeof value !== "object" || value === null) return null;
  const context = (value as { context?: unknown }).context;
  if (Array.isArray(context)) return "original";
  if (typeof context === "object" && context !== null) return "hugging-face";
  return null;
}

/** Converts one HotpotQA record of either layout into a search-QA item, or says which field is wrong. */
export function hotpotRecordToItem(value: unknown, source: ItemSource): { item: TaskItem } | { issue: FieldIssue } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { issue: { message: "expected a JSON object" } };
  }
  const layout = hotpotLayout(value);
  if (layout === null) {
    return {
      issue: {
        field: "context",
        message: "expected [[title, [sentences]]] (original layout) or {title[], sentences[][]} (Hugging Face layout)",
      },
    };
  }
  if (layout === "original") {
    const parsed = originalRecord.safeParse(value);
    if (!parsed.success) return { issue: firstIssue(parsed.error, value) };
    const record = parsed.data;
    return {
      item: {
        id: record._id,
        task: "search-qa",
        question: record.question,
        answer: record.answer,
        context: record.context.map(([title, sentences]) => ({ title, sentences })),
        supportingFacts: record.supporting_facts.map(([title, sentence]) => ({ title, sentence })),
        ...optionalMeta(record.type, record.level),
        source,
      },
    };
  }
  const parsed = huggingFaceRecord.safeParse(value);
  if (!parsed.success) return { issue: firstIssue(parsed.error, value) };
  const record = parsed.data;
  const { title, sentences } = record.context;
  if (title.length !== sentences.length) {
    return { issue: { field: "context", message: `context.title has ${title.length} entries but context.sentences has ${sentences.length}` } };
  }
  const facts = record.supporting_facts;
  if (facts.title.length !== facts.sent_id.length) {
    return {
      issue: {
        field: "supporting_facts",
        message: `supporting_facts.title has ${facts.title.length} entries but supporting_facts.sent_id has ${facts.sent_id.length}`,
      },
    };
  }
  return {
    item: {
      id: record.id,
      task: "search-qa",
      question: record.question,
      answer: record.answer,
      context: title.map((paragraphTitle, index) => ({ title: paragraphTitle, sentences: sentences[index] })),
      supportingFacts: facts.title.map((factTitle, index) => ({ title: factTitle, sentence: facts.sent_id[index] })),
      ...optionalMeta(record.type, record.level),
      source,
    },
  };
}

function optionalMeta(type: string | undefined, level: string | undefined): Pick<TaskItem, "questionType" | "level"> {
  return { ...(type !== undefined ? { questionType: type } : {}), ...(level !== undefined ? { level } : {}) };
}
