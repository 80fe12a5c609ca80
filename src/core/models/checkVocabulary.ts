// A model file's vocabulary, checked from its GGUF header before llama.cpp sees the file.
//
// llama.cpp's SentencePiece tokenizer ("llama" and "t5" in `tokenizer.ggml.model`) spells every character it has no
// piece for as byte pieces `<0x00>`..`<0xFF>`, looked up with std::map::at: when one is missing it throws
// std::out_of_range, which nothing catches, and the whole process aborts (SIGABRT) - at load for a router (the
// line feed is looked up then), at the first unusual character for a candidate. A byte is also found as the
// one-character piece of the same byte, which only exists for ASCII. Other tokenizers (BPE, WordPiece) map bytes
// without such a lookup, so only SentencePiece vocabularies are checked.
import { bytePiece } from "./SpmVocabulary.ts";

/** `tokenizer.ggml.model` values that llama.cpp tokenizes with byte fallback through `<0xXX>` pieces. */
const BYTE_FALLBACK_TOKENIZERS = new Set(["llama", "t5"]);

export class VocabularyError extends Error {
  override name = "VocabularyError";
}

/**
 * The bytes (0-255) that a vocabulary cannot spell: no `<0xXX>` piece and, for ASCII, no one-character piece.
 * Empty for tokenizers without byte fallback.
 */
export function bytesWithoutPiece(tokenizerModel: unknown, tokens: readonly string[]): number[] {
  if (typeof tokenizerModel !== "string" || !BYTE_FALLBACK_TOKENIZERS.has(tokenizerModel)) return [];
  const pieces = new Set(tokens);
  const missing: number[] = [];
  for (let b = 0; b < 256; b++) {
    if (!pieces.has(bytePiece(b)) && !(b < 0x80 && pieces.has(String.fromCharCode(b)))) missing.push(b);
  }
  return missing;
}

/**
 * Throws a VocabularyError naming the file when its tokenizer would make llama.cpp abort the process: an SPM
 * vocabulary without the byte pieces, or one without any tokens.
 */
export function checkVocabulary(file: string, metadata: { tokenizer?: { ggml?: { model?: unknown; tokens?: unknown } } }): void {
  const ggml = metadata.tokenizer?.ggml;
  const tokenizerModel = ggml?.model;
  if (tokenizerModel == null || tokenizerModel === "none" || tokenizerModel === "no_vocab") return;
  const tokens = ggml?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0)
    throw new VocabularyError(`model "${file}": tokenizer.ggml.model is "${String(tokenizerModel)}" but tokenizer.ggml.tokens is empty or missing; use a complete GGUF file`);
  const missing = bytesWithoutPiece(tokenizerModel, tokens as string[]);
  if (missing.length > 0) {
    const shown = missing.slice(0, 4).map(bytePiece).join(", ");
    throw new VocabularyError(
      `model "${file}": its SentencePiece vocabulary lacks ${missing.length} of the 256 byte-fallback tokens (${shown}${missing.length > 4 ? ", ..." : ""}); ` +
        "llama.cpp aborts the whole process on the first character it cannot spell with them, so the model is refused. " +
        "Convert the model again with its byte tokens (llama.cpp's convert_hf_to_gguf.py keeps them) or use another GGUF file.",
    );
  }
}
