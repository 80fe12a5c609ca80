// The keyword items of the first keyword benchmark (12 keywords in the groups small / wide / both / none, each with
// one letter; 12 phrasings), kept unchanged for the development benchmark (devBenchmark.ts), whose recorded
// measurements were made on exactly these items and vocabulary. The proof's benchmark (keywordBenchmark.ts) has moved
// on to other groups (a context-dependent group, a Teacher-decided group) and does not share these definitions.
import { Rng } from "../nn/Rng.ts";
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

const PHRASINGS = [
  "In the {a} code book, which letter stands for {k}?",
  "Which letter does the {a} {b} cipher give to {k}?",
  "Using the {a} codebook, what letter marks {k}?",
  "The {a} table maps words to letters. Which letter is {k}?",
  "Find the letter for {k} in the {a} {b} list.",
  "Decode {k} with the {a} scheme: which letter?",
  "Which option does {k} select in the {a} puzzle?",
  "According to the {a} {b} legend, {k} is which letter?",
  "Look up {k} in the {a} table of marks.",
  "What letter is written for {k} in the {a} {b} codebook?",
  "The {a} puzzle hides {k} behind one letter. Which one?",
  "Under the {a} cipher, {k} decodes to which option?",
];
const FILLERS = ["royal", "silver", "hidden", "golden", "ancient", "quiet", "northern", "secret", "lunar", "copper", "velvet", "frozen"];
// Answer options are common words the router does not see as content (only the keywords, fillers and template
// words are): options carry no information about the letter, and fewer distractors keep the feature readable.
const OPTIONS = ["river", "stone", "cloud", "tree", "ocean", "bird", "horse", "ship", "fire", "apple", "snow", "rock"];
// Not "letter" nor "key": the fixed parts of the routing prompt say "letter" and "keyword" (which tokenizes as
// "key" + "word"), and a piece every prompt shares only dilutes the feature.
const TEMPLATE_WORDS = ["code", "book", "codebook", "cipher", "table", "list", "scheme", "puzzle", "legend", "option", "words", "marks", "decode"];

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

/** Every keyword in every phrasing, with seeded distractors: 12 x 12 = 144 items. */
export function benchmarkItems(seed = 2026): BenchmarkItem[] {
  const rng = new Rng(seed);
  const pick = (pool: readonly string[], n: number) => {
    const left = [...pool];
    return Array.from({ length: n }, () => left.splice(rng.int(left.length), 1)[0]);
  };
  const items: BenchmarkItem[] = [];
  for (const [group, keywords] of Object.entries(KEYWORD_GROUPS) as [KeywordGroup, readonly string[]][]) {
    for (const keyword of keywords) {
      PHRASINGS.forEach((phrasing, p) => {
        const [a, b] = pick(FILLERS, 2);
        const question = phrasing.replace("{k}", keyword).replace("{a}", a).replace("{b}", b);
        items.push({ id: `${keyword}-${p}`, keyword, group, question, choices: pick(OPTIONS, 4), answer: KEYWORD_LETTERS[keyword] });
      });
    }
  }
  return items;
}

