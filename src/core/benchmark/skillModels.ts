// Tiny llama models whose behaviour is known by construction: the candidates of the keyword benchmark, and its
// router. They run in llama.cpp like any GGUF file; only their weights are set by hand.
//
// A candidate answers "which letter stands for <keyword>?" from a skill table keyword -> letter written into the
// o_proj (attn_output) of its LAST block - exactly the matrix the low-level router's adapters update:
//  - every token's embedding holds 1 in a constant dimension; a keyword the model embeds (`represented`) also holds 1
//    in its own dimension, and so does a context word (`contexts`); a keyword it does not embed is, to it, an
//    unknown word that nothing downstream can read;
//  - every block but the last is zero (an exact no-op), attention scores are zero (uniform causal attention) and the
//    last block's V is the identity on the keyword and context dimensions only, so the attention output at the last
//    position is the average of the keywords and context words in the prompt, with nothing from the other tokens;
//  - the last o_proj maps a known keyword's dimension to the score dimension of its letter (`skill`), a half-known
//    one's with a smaller weight (`misconceptions`: it wins only while the prompt is short, as the prompt's length
//    divides the average), and a doubted keyword's to a doubt dimension (`doubts`);
//  - the output head reads each letter from its score dimension, gives "A" a small head start (the guess for an
//    unknown keyword), reads "Continue" from the doubt dimension (the Teacher asks for a revision), and from the
//    constant dimension makes the constrained JSON reply close every free-text field at once, prefer the
//    multi-character JSON pieces, never emit white space, and have the Teacher submit otherwise.
// So with no adapter a candidate answers a keyword right exactly when its table has it, and a rank-1 update of that
// o_proj (keyword dimension -> letter score dimension) teaches it a keyword it embeds but lacks. The construction
// follows the measured recipe in ../shared/NOTES.md ("A construction with known behaviour").
//
// The router's embeddings give every benchmark word (keywords, context words, template words, fillers) a random
// direction and every other token none, with all blocks zero: its mean-pooled feature is a bag of the problem's words,
// in which the keyword is one word among distractors.
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
/**
 * A doubted keyword's weight into the doubt dimension, and the Continue logit per unit of that dimension: at the
 * Teacher's prompt lengths (60-300 tokens) "Continue" then beats "Submit" (by 2 at unit activation) and still loses
 * to every closing JSON piece inside free text (42).
 */
const DOUBT_WEIGHT = 20;
const DOUBT_LOGIT = 10;

export interface SkillModelSpec {
  name: string;
  embeddingLength: number;
  blockCount: number;
  vocabulary: SpmVocabulary;
  /** Every keyword of the benchmark, in a fixed order (each gets a dimension). */
  keywords: readonly string[];
  /**
   * The keywords whose tokens this model embeds (a 1 in their dimension). A keyword left out is an unknown word to
   * the model: no attention output carries it, so no update of o_proj - no adapter - can make the model answer it.
   * Defaults to every keyword.
   */
  represented?: readonly string[];
  /** Context words (each gets a dimension, embedded and read by attention like a keyword; the base o_proj ignores them). */
  contexts?: readonly string[];
  /** The keywords this model knows, with their letters. */
  skill: Readonly<Record<string, Letter>>;
  /**
   * Keywords this model half-knows wrongly: o_proj drives the given letter with a weight small enough that it beats
   * the head start of "A" only in a short prompt (the first round), not in the longer revision prompt.
   */
  misconceptions?: Readonly<Record<string, { letter: Letter; weight: number }>>;
  /** Keywords on which this model, as the Teacher, asks for a revision ("Continue") whatever the Student answered. */
  doubts?: readonly string[];
}

/** The GGUF bytes of a candidate with a known skill table. */
export function buildSkillModel(spec: SkillModelSpec): Uint8Array {
  const d = spec.embeddingLength;
  const vocab = spec.vocabulary;
  const V = vocab.size;
  const contexts = spec.contexts ?? [];
  const K = spec.keywords.length;
  const dim = { constant: 0, keyword: (k: number) => 1 + k, context: (c: number) => 1 + K + c, doubt: 1 + K + contexts.length, score: (l: number) => 2 + K + contexts.length + l };
  if (dim.score(LETTERS.length) > d) throw new Error(`buildSkillModel: ${spec.keywords.length} keywords and ${contexts.length} context words need an embedding length of at least ${dim.score(LETTERS.length)}, got ${d}`);
  const id = (piece: string) => {
    const i = vocab.idOf(piece);
    if (i === undefined) throw new Error(`buildSkillModel: the vocabulary lacks ${JSON.stringify(piece)}`);
    return i;
  };

  const embedding = new Float32Array(d * V);
  for (let t = 0; t < V; t++) embedding[t * d + dim.constant] = 1;
  const represented = new Set(spec.represented ?? spec.keywords);
  spec.keywords.forEach((k, i) => {
    if (represented.has(k)) embedding[vocab.wordId(k) * d + dim.keyword(i)] = 1;
  });
  contexts.forEach((c, i) => (embedding[vocab.wordId(c) * d + dim.context(i)] = 1));

  const output = new Float32Array(d * V);
  const row = (piece: string) => id(piece) * d;
  LETTERS.forEach((letter, l) => (output[row(letter) + dim.score(l)] = LOGITS.letter));
  output[row("A") + dim.constant] = LOGITS.guessA;
  output[row('"') + dim.constant] = LOGITS.quote;
  for (const piece of JSON_PIECES) output[row(piece) + dim.constant] = LOGITS.piece;
  for (const piece of ['","', '"}']) output[row(piece) + dim.constant] = LOGITS.closingPiece;
  output[row("Submit") + dim.constant] = LOGITS.submit;
  output[row("Continue") + dim.constant] = LOGITS.continue;
  output[row("Continue") + dim.doubt] = DOUBT_LOGIT;
  for (const space of [SPM_SPACE, "<0x20>", "<0x0A>", "<0x09>", "<0x0D>"]) output[row(space) + dim.constant] = LOGITS.space;

  const values = new Float32Array(d * d);
  spec.keywords.forEach((_, i) => (values[dim.keyword(i) * d + dim.keyword(i)] = 1));
  contexts.forEach((_, i) => (values[dim.context(i) * d + dim.context(i)] = 1));
  const oProj = new Float32Array(d * d);
  const keywordDim = (keyword: string, what: string) => {
    const k = spec.keywords.indexOf(keyword);
    if (k < 0) throw new Error(`buildSkillModel: ${what} keyword "${keyword}" is not one of the benchmark's keywords`);
    return dim.keyword(k);
  };
  for (const [keyword, letter] of Object.entries(spec.skill)) oProj[dim.score(LETTERS.indexOf(letter)) * d + keywordDim(keyword, "skill")] = SKILL_WEIGHT;
  for (const [keyword, m] of Object.entries(spec.misconceptions ?? {})) oProj[dim.score(LETTERS.indexOf(m.letter)) * d + keywordDim(keyword, "misconception")] = m.weight;
  for (const keyword of spec.doubts ?? []) oProj[dim.doubt * d + keywordDim(keyword, "doubt")] = DOUBT_WEIGHT;

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
