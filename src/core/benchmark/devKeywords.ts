// The keyword items of the first keyword benchmark (12 keywords in the groups small / wide / both / none, each with
// one letter; 12 phrasings), kept unchanged for the development benchmark (devBenchmark.ts), whose recorded
// measurements were made on exactly these items and vocabulary. The proof's benchmark (keywordBenchmark.ts) has moved
// on to other groups (a context-dependent group, a Teacher-decided group); the phrasings, fillers, options and the
// generator (keywordQuestions) are its, and give the same items as before for the same seed.
import { FILLERS, keywordQuestions, OPTIONS, TEMPLATE_WORDS } from "./keywordBenchmark.ts";
import type { Letter } from "./skillModels.ts";

export const KEYWORD_GROUPS = {
  small: ["amber", "bison", "cedar"],
  wide: ["dahlia", "ermine", "fennel"],
  both: ["gecko", "hazel", "indigo"],
  none: ["jasper", "kestrel", "lupin"],
} as const;
export type KeywordGroup = keyof typeof KEYWORD_GROUPS;
export const KEYWORDS: readonly string[] = Object.values(KEYWORD_GROUPS).flat();

/** Each keyword's letter (never "A": that is every model's guess for a keyword it does not know). */
export const KEYWORD_LETTERS: Readonly<Record<string, Letter>> = Object.fromEntries(KEYWORDS.map((k, i) => [k, (["B", "C", "D"] as const)[i % 3]]));

/** The benchmark's own words: what the router sees as content and what the vocabulary must hold as whole words. */
export const BENCHMARK_WORDS: readonly string[] = [...new Set([...KEYWORDS, ...FILLERS, ...OPTIONS, ...TEMPLATE_WORDS])];
export interface BenchmarkItem {
  id: string;
  keyword: string;
  group: KeywordGroup;
  question: string;
  choices: string[];
  answer: Letter;
}

/** Every keyword in every phrasing, with seeded distractors: 12 x 12 = 144 items (keywordQuestions, as they always were). */
export function benchmarkItems(seed = 2026): BenchmarkItem[] {
  return keywordQuestions(KEYWORD_GROUPS, seed, { answer: (keyword) => KEYWORD_LETTERS[keyword] }).map(({ context: _c, phrasing: _p, ...item }) => item);
}
