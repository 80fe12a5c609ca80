import { ENGLISH_WORDS } from "./englishWords.ts";

/** llama.cpp's name of the byte-fallback piece of byte `b`: `<0x0A>` for a line feed. */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/** SentencePiece's word-start marker: a piece "▁the" is " the" in text. */
export const SPM_SPACE = "\u2581";

/** llama.cpp's token types (`tokenizer.ggml.token_type`). */
export const TokenType = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

/**
 * A SentencePiece ("llama") vocabulary that llama.cpp accepts for a hand-made model: `<unk>` 0, `<s>` 1, `</s>` 2,
 * the 256 byte-fallback pieces (without them llama.cpp aborts the process on the first character it cannot
 * map), the printable ASCII characters, and each word as "▁word" with every prefix present, because llama.cpp's
 * SPM tokenizer only merges two symbols when their concatenation is itself a piece.
 */
export class SpmVocabulary {
  static readonly unknownId = 0;
  static readonly bosId = 1;
  static readonly eosId = 2;

  readonly tokens: readonly string[];
  /** Merge priorities: longer pieces score higher, so a word's pieces merge into the whole word. */
  readonly scores: readonly number[];
  readonly tokenTypes: readonly number[];
  private readonly ids: Map<string, number>;

  private constructor(tokens: string[], scores: number[], tokenTypes: number[]) {
    this.tokens = tokens;
    this.scores = scores;
    this.tokenTypes = tokenTypes;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Builds the vocabulary from words (no whitespace inside). Defaults to a few hundred common English words.
   * `pieces` are added as they are (no word-start marker): multi-character pieces such as `{"` or `":"` that let a
   * model emit JSON structure in one token, as real BPE vocabularies do. Defaults to none.
   * `byteFallback: false` leaves out the 256 byte pieces: such a file makes llama.cpp abort the process, and exists
   * only so that tests can check that the runtime refuses it (see checkVocabulary.ts). Defaults to `true`.
   */
  static fromWords(words: readonly string[] = ENGLISH_WORDS, options: { pieces?: readonly string[]; byteFallback?: boolean } = {}): SpmVocabulary {
    const tokens = ["<unk>", "<s>", "</s>"];
    const types: number[] = [TokenType.unknown, TokenType.control, TokenType.control];
    if (options.byteFallback ?? true) {
      for (let b = 0; b < 256; b++) {
        tokens.push(bytePiece(b));
        types.push(TokenType.byte);
      }
    }
    const seen = new Set(tokens);
    const add = (piece: string) => {
      if (seen.has(piece)) return;
      seen.add(piece);
      tokens.push(piece);
      types.push(TokenType.normal);
    };
    const printable = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i));
    add(SPM_SPACE);
    for (const c of printable) add(c);
    for (const c of printable) add(SPM_SPACE + c);
    words.forEach((word, i) => {
      if (word.length === 0 || /\s/.test(word)) {
        throw new Error(`SpmVocabulary: word ${i} (${JSON.stringify(word)}) must be non-empty and have no whitespace`);
      }
      const chars = Array.from(word);
      for (let k = 1; k <= chars.length; k++) add(SPM_SPACE + chars.slice(0, k).join(""));
    });
    for (const piece of options.pieces ?? []) {
      if (piece.length === 0 || /\s/.test(piece)) throw new Error(`SpmVocabulary: piece ${JSON.stringify(piece)} must be non-empty and have no whitespace`);
      add(piece);
    }
    const scores = tokens.map((t, i) => (types[i] === TokenType.normal ? Array.from(t).length : 0));
    return new SpmVocabulary(tokens, scores, types);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The id of an exact piece, or `undefined`. */
  idOf(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  /** The id of the whole-word piece "▁word" (what " word" tokenizes to); throws when the word is not in it. */
  wordId(word: string): number {
    const id = this.ids.get(SPM_SPACE + word);
    if (id === undefined) throw new Error(`SpmVocabulary: "${word}" is not a word of this vocabulary`);
    return id;
  }
}
