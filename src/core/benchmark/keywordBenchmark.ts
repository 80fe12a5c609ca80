// The keyword benchmark: a routing problem whose right answers are known by construction, that runs the real path
// (routing prompt -> router LLM feature -> high-level head -> generated adapters -> llama.cpp generation under a JSON
// grammar -> parsing -> reward) on models the project generates (skillModels.ts).
//
// Each item asks which letter stands for a keyword, in one of several phrasings with distractor words, as a
// multiple-choice question. Two candidates know different keywords:
//   small  - a 32-wide, 4-block model, cheap;      wide - a 64-wide, 5-block model, three times the price;
// and the keywords fall in four groups:
//   "small": only the small model knows them;   "wide": only the wide model does;
//   "both": both do (the cheap one suffices);   "none": neither does - no assignment answers these without an
//   adapter, but a rank-1 update of the last o_proj (the adapters' target) does.
// The Student answers; the Teacher reviews and submits. So the right assignment differs across items (by group), a
// fixed assignment gets half of the items, routing alone at most three quarters, and only routing plus generated
// parameters can get them all. Items each model already answers must survive training ("both" and its own group).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SpmVocabulary } from "../models/SpmVocabulary.ts";
import { ENGLISH_WORDS } from "../models/englishWords.ts";
import { Rng } from "../nn/Rng.ts";
import { buildBagOfWordsRouter, buildSkillModel, JSON_PIECES, type Letter } from "./skillModels.ts";

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
/** The words with a direction in the router's embedding: everything but the answer options. */
export const ROUTER_WORDS: readonly string[] = [...new Set([...KEYWORDS, ...FILLERS, ...TEMPLATE_WORDS])];

/** The router's width: random directions of ~40 words in 256 dimensions interfere little. */
const ROUTER_WIDTH = 256;

// Only the last block carries the skill; the blocks before it are exact no-ops (skillModels.ts). There are at least
// four of them so that the LoRA-depth ablation (adapters on the last k = 1, 2, 4 o_proj; src/core/evaluation) runs
// here - where, by construction, an adapter below the last block acts on a zero attention output and changes nothing.
export const CANDIDATES = {
  small: { embeddingLength: 32, blockCount: 4, price: { input: 0.1, output: 0.2 } },
  wide: { embeddingLength: 64, blockCount: 5, price: { input: 0.3, output: 0.6 } },
} as const;
export type CandidateName = keyof typeof CANDIDATES;

/** Which keywords each candidate knows. */
export function skillOf(candidate: CandidateName): Record<string, Letter> {
  const known = [...KEYWORD_GROUPS[candidate], ...KEYWORD_GROUPS.both];
  return Object.fromEntries(known.map((k) => [k, KEYWORD_LETTERS[k]]));
}

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

/** The known truth: whether an assignment answers an item right without adapters (the Student's knowledge decides). */
export function answersWithoutAdapter(item: Pick<BenchmarkItem, "keyword">, assignment: Readonly<Record<string, string>>): boolean {
  const student = assignment.student as CandidateName;
  return skillOf(student)[item.keyword] != null;
}

/**
 * Held-out splits per seed, stratified by keyword so every keyword is trained on: of each keyword's 12 phrasings,
 * `train` go to training, `valid` to validation, the rest to the test split.
 */
export function stratifiedSplits(items: readonly BenchmarkItem[], seed: number, perKeyword = { train: 6, valid: 2 }): { train: BenchmarkItem[]; valid: BenchmarkItem[]; test: BenchmarkItem[] } {
  const rng = new Rng(seed);
  const out = { train: [] as BenchmarkItem[], valid: [] as BenchmarkItem[], test: [] as BenchmarkItem[] };
  for (const keyword of KEYWORDS) {
    const own = items.filter((i) => i.keyword === keyword);
    for (let i = own.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [own[i], own[j]] = [own[j], own[i]];
    }
    out.train.push(...own.slice(0, perKeyword.train));
    out.valid.push(...own.slice(perKeyword.train, perKeyword.train + perKeyword.valid));
    out.test.push(...own.slice(perKeyword.train + perKeyword.valid));
  }
  return out;
}

export interface WrittenBenchmark {
  dir: string;
  configFile: string;
  dataFile: string;
  items: BenchmarkItem[];
}

/**
 * Writes the models (router, small, wide), all items as our own jsonl and a routing configuration into `dir`.
 * The same call writes the same bytes.
 */
export async function writeKeywordBenchmark(dir: string, options: { scale?: number } = {}): Promise<WrittenBenchmark> {
  await mkdir(dir, { recursive: true });
  const vocabulary = SpmVocabulary.fromWords([...ENGLISH_WORDS, ...BENCHMARK_WORDS], { pieces: JSON_PIECES });
  await writeFile(path.join(dir, "router.gguf"), buildBagOfWordsRouter("keyword-router", vocabulary, ROUTER_WORDS, ROUTER_WIDTH, 7));
  for (const [name, c] of Object.entries(CANDIDATES) as [CandidateName, (typeof CANDIDATES)[CandidateName]][]) {
    const bytes = buildSkillModel({ name, embeddingLength: c.embeddingLength, blockCount: c.blockCount, vocabulary, keywords: KEYWORDS, skill: skillOf(name) });
    await writeFile(path.join(dir, `${name}.gguf`), bytes);
  }
  const items = benchmarkItems();
  const dataFile = path.join(dir, "items.jsonl");
  await writeFile(dataFile, items.map(({ id, question, choices, answer }) => JSON.stringify({ id, question, choices, answer })).join("\n") + "\n");
  const config = {
    router: { model: "router.gguf", pooling: "mean" },
    agents: [
      { id: "teacher", role: "Teacher: checks the Student's letter and submits it or asks for a revision." },
      { id: "student", role: "Student: answers which letter stands for the keyword." },
    ],
    candidates: (Object.entries(CANDIDATES) as [CandidateName, (typeof CANDIDATES)[CandidateName]][]).map(([id, c]) => ({
      id,
      model: `${id}.gguf`,
      description: `${id} keyword model`,
      price: c.price,
    })),
    tasks: { "multiple-choice": "Say which letter stands for the keyword." },
    generator: { rank: 8, lastLayers: 1, scale: options.scale ?? 1, hidden: 256, shareTrunk: true, seed: 0 },
    protocol: { constrainActions: true, maxRounds: 2, formatRetries: 1, searchBudget: 3 },
    maxTokens: 48,
    alpha: 0,
  };
  const configFile = path.join(dir, "config.json");
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, configFile, dataFile, items };
}
