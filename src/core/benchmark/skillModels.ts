// Tiny llama models whose behaviour is known by construction: the candidates of the keyword benchmark, and its
// router. They run in llama.cpp like any GGUF file; only their weights are set by hand.
//
// A candidate answers "which letter stands for <keyword>?" from a skill table keyword -> letter written into the
// o_proj (attn_output) of its LAST block - exactly the matrix the low-level router's adapters update:
//  - every token's embedding holds 1 in a constant dimension; a keyword's also holds 1 in its own dimension;
//  - every block but the last is zero (an exact no-op), attention scores are zero (uniform causal attention) and the
//    last block's V is the identity on the keyword dimensions only, so the attention output at the last position is
//    the average of the keywords in the prompt, with nothing from the other tokens;
//  - the last o_proj maps a known keyword's dimension to the score dimension of its letter (`skill`);
//  - the output head reads each letter from its score dimension, gives "A" a small head start (the guess for an
//    unknown keyword, never a right answer: no keyword's letter is A), and from the constant dimension makes the
//    constrained JSON reply close every free-text field at once, prefer the multi-character JSON pieces, never emit
//    white space, and have the Teacher submit.
// So with no adapter a candidate answers a keyword right exactly when its table has it, and a rank-1 update of that
// o_proj (keyword dimension -> letter score dimension) teaches it a keyword it lacks. The construction follows the
// measured recipe in ../shared/NOTES.md ("A construction with known behaviour").
//
// The router's embeddings give every benchmark word (keywords, template words, fillers) a random direction and every
// other token none, with all blocks zero: its mean-pooled feature is a bag of the problem's words, in which the
// keyword is one word among distractors.
import { buildTinyLlama } from "../models/buildTinyLlama.ts";
import { SPM_SPACE, type SpmVocabulary } from "../models/SpmVocabulary.ts";
import { Rng } from "../nn/Rng.ts";

export const LETTERS = ["A", "B", "C", "D"] as const;
export type Letter = (typeof LETTERS)[number];

/** Multi-character pieces of the constrained replies, emitted as one token each. */
export const JSON_PIECES = ['{"', '":"', '","', '"}', "solution", "answer", "feedback", "decision", "Submit", "Continue"];

/** The output-head logits (at unit normalised activation) that shape the replies; see the file comment. */
const LOGITS = {
  /** A letter per unit of its score dimension. */
  letter: 10,
  /** The head start of "A". */
  guessA: 0.5,
  /** Closing quote of a string: beats every letter or word inside free text. */
  quote: 30,
  /** JSON pieces: beat single characters where both fit the grammar. */
  piece: 40,
  /** Pieces that close a string (`","`, `"}`): beat the other pieces, which would also fit inside a string. */
  closingPiece: 42,
  /** White space: never. */
  space: -30,
  /** "Submit" over "Continue" in the Teacher's decision (both below every JSON piece, so no string ever holds them). */
  submit: 5,
  continue: 3,
};

/** How strongly a known keyword drives its letter (o_proj weight). */
const SKILL_WEIGHT = 3;

export interface SkillModelSpec {
  name: string;
  embeddingLength: number;
  blockCount: number;
  vocabulary: SpmVocabulary;
  /** Every keyword of the benchmark, in a fixed order (each gets a dimension). */
  keywords: readonly string[];
  /** The keywords this model knows, with their letters. */
  skill: Readonly<Record<string, Letter>>;
}

/** The GGUF bytes of a candidate with a known skill table. */
export function buildSkillModel(spec: SkillModelSpec): Uint8Array {
  const d = spec.embeddingLength;
  const vocab = spec.vocabulary;
  const V = vocab.size;
  const dim = { constant: 0, keyword: (k: number) => 1 + k, score: (l: number) => 1 + spec.keywords.length + l };
  if (dim.score(LETTERS.length) > d) throw new Error(`buildSkillModel: ${spec.keywords.length} keywords need an embedding length above ${dim.score(LETTERS.length)}, got ${d}`);
  const id = (piece: string) => {
    const i = vocab.idOf(piece);
    if (i === undefined) throw new Error(`buildSkillModel: the vocabulary lacks ${JSON.stringify(piece)}`);
    return i;
  };

  const embedding = new Float32Array(d * V);
  for (let t = 0; t < V; t++) embedding[t * d + dim.constant] = 1;
  spec.keywords.forEach((k, i) => (embedding[vocab.wordId(k) * d + dim.keyword(i)] = 1));

  const output = new Float32Array(d * V);
  const row = (piece: string) => id(piece) * d;
  LETTERS.forEach((letter, l) => (output[row(letter) + dim.score(l)] = LOGITS.letter));
  output[row("A") + dim.constant] = LOGITS.guessA;
  output[row('"') + dim.constant] = LOGITS.quote;
  for (const piece of JSON_PIECES) output[row(piece) + dim.constant] = LOGITS.piece;
  for (const piece of ['","', '"}']) output[row(piece) + dim.constant] = LOGITS.closingPiece;
  output[row("Submit") + dim.constant] = LOGITS.submit;
  output[row("Continue") + dim.constant] = LOGITS.continue;
  for (const space of [SPM_SPACE, "<0x20>", "<0x0A>", "<0x09>", "<0x0D>"]) output[row(space) + dim.constant] = LOGITS.space;

  const values = new Float32Array(d * d);
  spec.keywords.forEach((_, i) => (values[dim.keyword(i) * d + dim.keyword(i)] = 1));
  const oProj = new Float32Array(d * d);
  for (const [keyword, letter] of Object.entries(spec.skill)) {
    const k = spec.keywords.indexOf(keyword);
    if (k < 0) throw new Error(`buildSkillModel: skill keyword "${keyword}" is not one of the benchmark's keywords`);
    oProj[dim.score(LETTERS.indexOf(letter)) * d + dim.keyword(k)] = SKILL_WEIGHT;
  }

  const last = spec.blockCount - 1;
  return buildTinyLlama({
    name: spec.name,
    embeddingLength: d,
    blockCount: spec.blockCount,
    headCount: 4,
    feedForwardLength: 16,
    contextLength: 1024,
    vocabulary: vocab,
    tensors: { "token_embd.weight": embedding, "output.weight": output },
    weights: (slot) => {
      if (slot.name.endsWith("_norm.weight")) return undefined; // ones
      if (slot.layer === last && slot.name.endsWith("attn_v.weight")) return values;
      if (slot.layer === last && slot.name.endsWith("attn_output.weight")) return oProj;
      return new Float32Array(slot.dims.reduce((a, b) => a * b, 1));
    },
  }).toBytes();
}

/** The GGUF bytes of the benchmark's router: a bag of the given words' random directions, mean-pooled. */
export function buildBagOfWordsRouter(name: string, vocabulary: SpmVocabulary, words: readonly string[], embeddingLength: number, seed: number): Uint8Array {
  const d = embeddingLength;
  const embedding = new Float32Array(d * vocabulary.size);
  for (const word of words) {
    const v = Rng.forKey(seed, word).fillNormal(new Float32Array(d));
    embedding.set(v, vocabulary.wordId(word) * d);
  }
  return buildTinyLlama({
    name,
    embeddingLength: d,
    blockCount: 1,
    headCount: 4,
    feedForwardLength: 16,
    contextLength: 2048,
    vocabulary,
    tensors: { "token_embd.weight": embedding },
    weights: (slot) => (slot.name.endsWith("_norm.weight") || slot.name === "output.weight" ? undefined : new Float32Array(slot.dims.reduce((a, b) => a * b, 1))),
  }).toBytes();
}
