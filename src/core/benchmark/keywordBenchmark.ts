// The keyword benchmark (proof v2): a routing problem whose right answers are known by construction, that runs the
// real path (routing prompt -> router LLM feature -> high-level head -> generated adapters -> llama.cpp generation
// under a JSON grammar -> parsing -> reward) on models the project generates (skillModels.ts).
//
// Each item asks which letter stands for a keyword in a named code book ("In the {a} code book, which letter stands
// for {k}?", twelve phrasings), as a multiple-choice question. Two candidates:
//   small - a 32-wide, 4-block model, cheap;      wide - a 64-wide, 5-block model, three times the price.
// The Student answers; the Teacher reviews (Submit, or Continue: the Student answers once more, and that answer
// counts). Four groups of keywords:
//   "small":   only the small model has the words, and it knows their letters. The wide model does not embed them,
//              so no update of its o_proj - no adapter - can make it answer them.
//   "wide":    the same the other way round.
//   "review":  the right letter is "A". The small model half-knows these words wrongly: it answers another letter in
//              the first round, but in the longer revision prompt the keyword's pull falls below the head start of
//              "A". Only the wide model, as the Teacher, doubts these words and sends the answer back. So the joint
//              assignment decides: small/small is wrong, wide-Teacher/small-Student right (the revision), and a wide
//              Student answers "A" outright. The Teacher's model matters.
//   "context": the letter depends on the keyword AND on the code book's name (a context word, "harbor" or
//              "meadow"): two 2 x 2 Latin squares, {jasper, kestrel} x {harbor, meadow} -> B C / C B and
//              {lupin, marten} x {harbor, meadow} -> D B / B D. No model knows them (both answer the guess "A", never
//              right here); both models embed the keywords and the context words.
//
// The static-adapter bound on the "context" group (at most 0.75, shown here). A query-independent adapter updates
// the last o_proj by a fixed matrix dW. That block's attention is uniform over the prompt and reads only the keyword
// and context dimensions, so at the position where the Student writes its letter the attention output is
// (e_k + e_c) / T, and each letter's logit is, up to a positive factor common to all letters, b_l + (u(k, l) +
// v(c, l)) / T: a per-letter constant (the head start of "A"), plus what dW makes of the keyword and of the context,
// ADDED. Take one Latin square's four cells of one phrasing (the same T: every keyword, context word, filler and
// option is a single token): x at (k1, c1) and (k2, c2), y at (k1, c2) and (k2, c1), x and y both different from
// "A" (so b_x = b_y). Answering all four right needs D(k1) + E(c1) > 0, D(k2) + E(c2) > 0, D(k1) + E(c2) < 0 and
// D(k2) + E(c1) < 0, with D(k) = u(k, x) - u(k, y) and E(c) = v(c, x) - v(c, y): the first two sum to the same
// quantity as the last two, a contradiction. So at least one of every such quadruple is wrong, whatever dW is.
// A revision cannot rescue it: the revision prompt adds no word the attention reads and is longer (larger T), so
// a letter other than "A" that loses in the first round loses in the second. The held-out items of this group come
// in whole quadruples (splits below), so on them a static adapter - on any assignment, on both agents - answers at
// most 3 of 4: the bound is 0.75 (exact for the constructed models, which close every free-text field at once; an
// adapter would have to overturn the JSON logits to write text of different lengths). It is reached: dW giving each
// keyword its letter under "harbor" (weight 1) and "meadow" a pull of 2 towards "B" answers 3 of every 4 (the test
// builds that adapter). A per-query adapter realises every cell (keyword and context -> the cell's letter), which is
// what HAPS's generator must learn.
//
// So: a fixed assignment without adapters answers at most 2 of the 4 groups, routing alone the first three, a fixed
// assignment with its best static adapter at most two groups plus 3/4 of "context", and only routing plus per-query
// parameters all of them.
import { mkdir, readFile, writeFile as writeFileAtOnce } from "node:fs/promises";
import path from "node:path";
import { SpmVocabulary } from "../models/SpmVocabulary.ts";
import { ENGLISH_WORDS } from "../models/englishWords.ts";
import { Rng } from "../nn/Rng.ts";
import { buildBagOfWordsRouter, buildSkillModel, JSON_PIECES, type Letter } from "./skillModels.ts";

export const KEYWORD_GROUPS = {
  small: ["amber", "bison", "cedar"],
  wide: ["dahlia", "ermine", "fennel"],
  review: ["gecko", "hazel", "indigo"],
  context: ["jasper", "kestrel", "lupin", "marten"],
} as const;
export type KeywordGroup = keyof typeof KEYWORD_GROUPS;
export const KEYWORD_GROUP_NAMES = Object.keys(KEYWORD_GROUPS) as KeywordGroup[];
export const KEYWORDS: readonly string[] = Object.values(KEYWORD_GROUPS).flat();

/** The code books that decide the "context" group's letters. */
export const CONTEXTS = ["harbor", "meadow"] as const;
export type Context = (typeof CONTEXTS)[number];

/**
 * The context group's Latin squares, keyword -> [letter under harbor, letter under meadow]. Rows pair up into
 * quadruples {k1, k2} x {harbor, meadow} with the letters x y / y x (x, y never "A"): LATIN_QUADRUPLES.
 */
export const CONTEXT_LETTERS: Readonly<Record<string, readonly [Letter, Letter]>> = {
  jasper: ["B", "C"],
  kestrel: ["C", "B"],
  lupin: ["D", "B"],
  marten: ["B", "D"],
};
export const LATIN_QUADRUPLES: readonly (readonly [string, string])[] = [
  ["jasper", "kestrel"],
  ["lupin", "marten"],
];
/** The best share of the context group that any query-independent adapter can answer (see the file comment). */
export const STATIC_ADAPTER_BOUND = 0.75;

/** The letter of the small and wide groups' keywords (never "A": every model's guess for a word it does not know). */
const PLAIN_LETTERS: Readonly<Record<string, Letter>> = {
  amber: "B", bison: "C", cedar: "D",
  dahlia: "B", ermine: "C", fennel: "D",
};
/** The review group: right letter "A"; the small model's wrong first answer. */
export const REVIEW_LETTER: Letter = "A";
const MISCONCEPTIONS: Readonly<Record<string, Letter>> = { gecko: "B", hazel: "C", indigo: "D" };
/**
 * The misconception's o_proj weight. On the small model (width 32) a keyword's letter beats the head start of "A"
 * while the Student's prompt is shorter than about 80 x weight tokens: the first round's prompts here are 132-141
 * tokens, the revision's 220-229 (measured on every review item), so 2.2 (about 176) falls between them.
 */
const MISCONCEPTION_WEIGHT = 2.2;

/** The right letter of a keyword in a code book. */
export function rightLetter(keyword: string, context: string): Letter {
  const square = CONTEXT_LETTERS[keyword];
  if (square != null) return square[CONTEXTS.indexOf(context as Context)];
  if (keyword in MISCONCEPTIONS) return REVIEW_LETTER;
  const letter = PLAIN_LETTERS[keyword];
  if (letter == null) throw new Error(`rightLetter: "${keyword}" is not a keyword of the benchmark`);
  return letter;
}

export const PHRASINGS = [
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
export const FILLERS = ["royal", "silver", "hidden", "golden", "ancient", "quiet", "northern", "secret", "lunar", "copper", "velvet", "frozen"];
// Answer options are common words the router does not see as content (only the keywords, context words, fillers and
// template words are): options carry no information about the letter, and fewer distractors keep the feature readable.
export const OPTIONS = ["river", "stone", "cloud", "tree", "ocean", "bird", "horse", "ship", "fire", "apple", "snow", "rock"];
// Not "letter" nor "key": the fixed parts of the routing prompt say "letter" and "keyword" (which tokenizes as
// "key" + "word"), and a piece every prompt shares only dilutes the feature.
export const TEMPLATE_WORDS = ["code", "book", "codebook", "cipher", "table", "list", "scheme", "puzzle", "legend", "option", "words", "marks", "decode"];

/** The benchmark's own words: what the router sees as content and what the vocabulary must hold as whole words. */
export const BENCHMARK_WORDS: readonly string[] = [...new Set([...KEYWORDS, ...CONTEXTS, ...FILLERS, ...OPTIONS, ...TEMPLATE_WORDS])];
/** The words with a direction in the router's embedding: everything but the answer options. */
export const ROUTER_WORDS: readonly string[] = [...new Set([...KEYWORDS, ...CONTEXTS, ...FILLERS, ...TEMPLATE_WORDS])];

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

/** What each candidate embeds, knows, half-knows wrongly and doubts as a Teacher. */
function modelSpec(candidate: CandidateName) {
  const own = candidate === "small" ? KEYWORD_GROUPS.small : KEYWORD_GROUPS.wide;
  return {
    represented: [...own, ...KEYWORD_GROUPS.review, ...KEYWORD_GROUPS.context],
    skill: Object.fromEntries(own.map((k) => [k, PLAIN_LETTERS[k]])),
    misconceptions: candidate === "small" ? Object.fromEntries(KEYWORD_GROUPS.review.map((k) => [k, { letter: MISCONCEPTIONS[k], weight: MISCONCEPTION_WEIGHT }])) : {},
    doubts: candidate === "wide" ? [...KEYWORD_GROUPS.review] : [],
  };
}

export interface BenchmarkItem {
  id: string;
  keyword: string;
  group: KeywordGroup;
  /** The code book's name: a context word in the context group, a filler elsewhere. */
  context: string;
  /** The phrasing's index in PHRASINGS. */
  phrasing: number;
  question: string;
  choices: string[];
  answer: Letter;
}

/** Every keyword in every phrasing (context keywords under both code books), with seeded distractors: 204 items. */
export function benchmarkItems(seed = 2026): BenchmarkItem[] {
  return keywordQuestions(KEYWORD_GROUPS, seed, { contexts: (group) => (group === "context" ? CONTEXTS : [null]), answer: rightLetter });
}

/**
 * The one generator of keyword questions (this benchmark's and the development benchmark's, devKeywords.ts): each
 * keyword of each group in each of PHRASINGS, under each of its code books (`contexts`; null: a seeded filler names
 * the book), with seeded fillers and answer options drawn in a fixed order, so a seed gives the same items every time.
 */
export function keywordQuestions<G extends string>(
  groups: Readonly<Record<G, readonly string[]>>,
  seed: number,
  options: { contexts?: (group: G) => readonly (string | null)[]; answer: (keyword: string, codeBook: string) => Letter },
): (Omit<BenchmarkItem, "group"> & { group: G })[] {
  const rng = new Rng(seed);
  const pick = (pool: readonly string[], n: number) => {
    const left = [...pool];
    return Array.from({ length: n }, () => left.splice(rng.int(left.length), 1)[0]);
  };
  const items: (Omit<BenchmarkItem, "group"> & { group: G })[] = [];
  for (const group of Object.keys(groups) as G[]) {
    for (const keyword of groups[group]) {
      for (const context of options.contexts?.(group) ?? [null]) {
        PHRASINGS.forEach((phrasing, p) => {
          const [filler, b] = pick(FILLERS, 2);
          const a = context ?? filler;
          const question = phrasing.replace("{k}", keyword).replace("{a}", a).replace("{b}", b);
          const id = context == null ? `${keyword}-${p}` : `${keyword}-${context}-${p}`;
          items.push({ id, keyword, group, context: a, phrasing: p, question, choices: pick(OPTIONS, 4), answer: options.answer(keyword, a) });
        });
      }
    }
  }
  return items;
}

/** The known truth: whether an assignment answers an item right without adapters. */
export function answersWithoutAdapter(item: Pick<BenchmarkItem, "group">, assignment: Readonly<Record<string, string>>): boolean {
  const { teacher, student } = assignment;
  switch (item.group) {
    case "small":
      return student === "small";
    case "wide":
      return student === "wide";
    case "review":
      // A wide Student answers "A" outright; a small one only after a wide Teacher sends it back.
      return student === "wide" || teacher === "wide";
    case "context":
      return false;
  }
}

/** The unit that goes to one split whole: a keyword's phrasing, or a Latin quadruple's phrasing (four items). */
function splitUnit(item: BenchmarkItem): string {
  if (item.group !== "context") return item.keyword;
  return LATIN_QUADRUPLES.findIndex((q) => q.includes(item.keyword)).toString();
}

/**
 * Held-out splits per seed: of each keyword's 12 phrasings (each Latin quadruple's, for the context group, whose four
 * items of a phrasing stay together), `train` go to training, `valid` to validation and the rest to the test split,
 * drawn per seed. So every keyword and every (keyword, code book) cell is trained on, and the test items are new
 * (keyword, code book, phrasing) combinations; the context group's test items come in whole quadruples, on which the
 * static-adapter bound holds exactly.
 */
export function stratifiedSplits(items: readonly BenchmarkItem[], seed: number, perUnit = { train: 6, valid: 2 }): { train: BenchmarkItem[]; valid: BenchmarkItem[]; test: BenchmarkItem[] } {
  const rng = new Rng(seed);
  const out = { train: [] as BenchmarkItem[], valid: [] as BenchmarkItem[], test: [] as BenchmarkItem[] };
  const units = [...new Set(items.map(splitUnit))];
  for (const unit of units) {
    const own = items.filter((i) => splitUnit(i) === unit);
    const phrasings = [...new Set(own.map((i) => i.phrasing))];
    for (let i = phrasings.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [phrasings[i], phrasings[j]] = [phrasings[j], phrasings[i]];
    }
    const of = (ps: number[]) => own.filter((i) => ps.includes(i.phrasing));
    out.train.push(...of(phrasings.slice(0, perUnit.train)));
    out.valid.push(...of(phrasings.slice(perUnit.train, perUnit.train + perUnit.valid)));
    out.test.push(...of(phrasings.slice(perUnit.train + perUnit.valid)));
  }
  return out;
}

/** Items as our jsonl (id, question, choices, answer), one a line. */
export function itemsJsonl(items: readonly Pick<BenchmarkItem, "id" | "question" | "choices" | "answer">[]): string {
  return items.map(({ id, question, choices, answer }) => JSON.stringify({ id, question, choices, answer })).join("\n") + "\n";
}

/**
 * The routing configuration of both keyword benchmarks (this one and devBenchmark.ts): a Teacher and a Student over
 * `candidates` (`<id>.gguf` beside it), `routerModel` mean-pooled as the router reading `feature`, LoRA `scale`.
 */
export function keywordRoutingConfig(
  routerModel: string,
  candidates: Readonly<Record<string, { price: { input: number; output: number } }>>,
  scale: number,
  feature: "output" | "auto",
) {
  return {
    router: { model: routerModel, pooling: "mean", feature },
    agents: [
      { id: "teacher", role: "Teacher: checks the Student's letter and submits it or asks for a revision." },
      { id: "student", role: "Student: answers which letter stands for the keyword." },
    ],
    candidates: Object.entries(candidates).map(([id, c]) => ({ id, model: `${id}.gguf`, description: `${id} keyword model`, price: c.price })),
    tasks: { "multiple-choice": "Say which letter stands for the keyword." },
    generator: { rank: 8, lastLayers: 1, scale, hidden: 256, shareTrunk: true, seed: 0 },
    protocol: { constrainActions: true, maxRounds: 2, formatRetries: 1, searchBudget: 3 },
    maxTokens: 48,
    alpha: 0,
  };
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
  // A file that already holds these bytes is left alone: another process may have the models mapped (seed processes
  // side by side), and truncating a mapped file would crash it.
  const writeFile = async (file: string, data: string | Uint8Array) => {
    const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const old = await readFile(file).catch(() => null);
    if (old == null || !old.equals(bytes)) await writeFileAtOnce(file, bytes);
  };
  const vocabulary = SpmVocabulary.fromWords([...ENGLISH_WORDS, ...BENCHMARK_WORDS], { pieces: JSON_PIECES });
  await writeFile(path.join(dir, "router.gguf"), buildBagOfWordsRouter("keyword-router", vocabulary, ROUTER_WORDS, ROUTER_WIDTH, 7));
  for (const [name, c] of Object.entries(CANDIDATES) as [CandidateName, (typeof CANDIDATES)[CandidateName]][]) {
    const bytes = buildSkillModel({ name, embeddingLength: c.embeddingLength, blockCount: c.blockCount, vocabulary, keywords: KEYWORDS, contexts: CONTEXTS, ...modelSpec(name) });
    await writeFile(path.join(dir, `${name}.gguf`), bytes);
  }
  const items = benchmarkItems();
  const dataFile = path.join(dir, "items.jsonl");
  await writeFile(dataFile, itemsJsonl(items));
  // The output feature, pinned: the learning proof's margins were committed for it and its judged run made with it.
  // (Its router is a bag of words of one block: a layer's input would differ from the output by the final norm only.)
  const config = keywordRoutingConfig("router.gguf", CANDIDATES, options.scale ?? 1, "output");
  const configFile = path.join(dir, "config.json");
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, configFile, dataFile, items };
}
