// The development benchmark (issue 15): where the defaults are chosen and where HAPS must learn whatever a kNN router
// learns. It is deliberately NOT the proof benchmark, and its router is not built for routing:
//  - two candidates, m1 and m2, hand-built 2-block llama models (skillModels.ts) with different known skills over the
//    keyword benchmark's 12 keywords: m1 (32 wide, cheap) knows the "small" and "both" groups, m2 (64 wide, three times
//    the price) the "wide" and "both" groups, neither the "none" group;
//  - the router LLM is m2 itself, mean-pooled: a candidate's hidden state, not a bag of words. Its feature is mostly the
//    constant dimension every token carries, with the keyword as a small variation on it - the setting in which the
//    issue found HAPS and the baselines learning nothing while a 1-nearest-neighbour router on the centred feature
//    told every keyword apart;
//  - items are the keyword benchmark's questions (keyword x phrasing, seeded fillers and options); `copies` > 1 draws
//    more of them with other fillers and options, for the larger training sets of the defaults' procedure.
// The Student answers and the Teacher submits, so an assignment is right exactly when its Student knows the keyword.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SpmVocabulary } from "../models/SpmVocabulary.ts";
import { ENGLISH_WORDS } from "../models/englishWords.ts";
import { BENCHMARK_WORDS, KEYWORD_GROUPS, KEYWORD_LETTERS, KEYWORDS, benchmarkItems, type BenchmarkItem, type KeywordGroup } from "./devKeywords.ts";
import { itemsJsonl, keywordRoutingConfig } from "./keywordBenchmark.ts";
import { buildSkillModel, JSON_PIECES, type Letter } from "./skillModels.ts";

export const DEV_CANDIDATES = {
  m1: { embeddingLength: 32, blockCount: 2, knows: ["small", "both"] as KeywordGroup[], price: { input: 0.1, output: 0.2 } },
  m2: { embeddingLength: 64, blockCount: 2, knows: ["wide", "both"] as KeywordGroup[], price: { input: 0.3, output: 0.6 } },
} as const;
export type DevCandidate = keyof typeof DEV_CANDIDATES;

export interface DevBenchmarkOptions {
  /** Phrasings per keyword (1-12) in each copy. Defaults to 6 (72 items). */
  phrasings?: number;
  /** Copies of the item set with other fillers and options. Defaults to 1. */
  copies?: number;
  /** The router's feature (router.feature). Defaults to "auto", the default setting. */
  feature?: "auto" | "output";
}

export interface WrittenDevBenchmark {
  dir: string;
  configFile: string;
  dataFile: string;
  items: BenchmarkItem[];
}

/** The keywords a candidate knows, with their letters. */
export function devSkillOf(candidate: DevCandidate): Record<string, Letter> {
  const known = DEV_CANDIDATES[candidate].knows.flatMap((g) => KEYWORD_GROUPS[g]);
  return Object.fromEntries(known.map((k) => [k, KEYWORD_LETTERS[k]]));
}

/** The development items: `phrasings` per keyword per copy; copy c > 0 uses its own seeded fillers and options. */
export function devItems(options: DevBenchmarkOptions = {}): BenchmarkItem[] {
  const phrasings = options.phrasings ?? 6;
  const copies = options.copies ?? 1;
  if (!Number.isInteger(phrasings) || phrasings < 1 || phrasings > 12) throw new Error(`devItems: phrasings must be an integer in 1..12, got ${phrasings}`);
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`devItems: copies must be a positive integer, got ${copies}`);
  const out: BenchmarkItem[] = [];
  for (let c = 0; c < copies; c++) {
    for (const item of benchmarkItems(3100 + c)) {
      if (Number(item.id.split("-").at(-1)) < phrasings) out.push({ ...item, id: `${item.id}-c${c}` });
    }
  }
  return out;
}

/** Writes m1, m2, the items (our jsonl format) and a routing configuration with m2 as the router. Same call, same bytes. */
export async function writeDevBenchmark(dir: string, options: DevBenchmarkOptions = {}): Promise<WrittenDevBenchmark> {
  await mkdir(dir, { recursive: true });
  const vocabulary = SpmVocabulary.fromWords([...ENGLISH_WORDS, ...BENCHMARK_WORDS], { pieces: JSON_PIECES });
  for (const [name, c] of Object.entries(DEV_CANDIDATES) as [DevCandidate, (typeof DEV_CANDIDATES)[DevCandidate]][]) {
    const bytes = buildSkillModel({ name, embeddingLength: c.embeddingLength, blockCount: c.blockCount, vocabulary, keywords: KEYWORDS, skill: devSkillOf(name) });
    await writeFile(path.join(dir, `${name}.gguf`), bytes);
  }
  const items = devItems(options);
  const dataFile = path.join(dir, "items.jsonl");
  await writeFile(dataFile, itemsJsonl(items));
  // A candidate as the router: its pooled hidden state was never shaped for routing. By default the default feature
  // ("auto": its last layer's input where the native layer runs), since the development check is of the default settings.
  const config = keywordRoutingConfig("m2.gguf", DEV_CANDIDATES, 4, options.feature ?? "auto");
  const configFile = path.join(dir, "config.json");
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, configFile, dataFile, items };
}

/** Known truth: whether an assignment answers an item without adapters (its Student knows the keyword). */
export function devAnswersWithoutAdapter(item: Pick<BenchmarkItem, "keyword">, assignment: Readonly<Record<string, string>>): boolean {
  return devSkillOf(assignment.student as DevCandidate)[item.keyword] != null;
}
