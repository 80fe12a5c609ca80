// The paragraphs of one question, as `haps route --context FILE` reads them.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { requireFile } from "../files/requireFile.ts";
import type { Paragraph } from "../TaskItem.ts";
import { paragraphSchema, toParagraph } from "./loadCustomJsonl.ts";

/**
 * Plain text as paragraphs: separated by blank lines, each one's first line its title (a lone line has none).
 * Text with no paragraph gives none; the caller decides whether that is an error.
 */
export function plainTextParagraphs(text: string): Paragraph[] {
  const blocks = text.split(/\r?\n\s*\r?\n/).map((b) => b.trim()).filter((b) => b.length > 0);
  return blocks.map((block) => {
    const [title, ...rest] = block.split(/\r?\n/);
    return rest.length === 0 ? { title: "", sentences: [title] } : { title: title.trim(), sentences: [rest.join(" ")] };
  });
}

/** A HotpotQA-style paragraph: [title, [sentences...]]. */
const hotpotParagraph = z.tuple([z.string(), z.array(z.string())]);

const EXPECTED = "give plain text (paragraphs separated by blank lines, the first line of each its title) or a .json array of paragraphs";

/** The file's text, refusing what is not text: a NUL byte or bytes that are not UTF-8 (an image, a PDF, ...). */
function decodeText(file: string, bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new Error(`context file "${file}" is not text (a NUL byte at offset ${nul}); ${EXPECTED}`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\ufeff/, "");
  } catch {
    throw new Error(`context file "${file}" is not UTF-8 text; ${EXPECTED}`);
  }
}

/**
 * Reads paragraphs from `file`:
 * - `.json`: an array whose entries are strings, {title?, text}, {title, sentences} or HotpotQA's [title, [sentences]];
 * - anything else: plain text, paragraphs separated by blank lines, each paragraph's first line its title.
 * A file with no paragraph with text is refused in both forms (an empty file, an empty array, only blank entries),
 * as is a file that is not text. Errors name the file and, for JSON, the entry that is wrong.
 */
export async function loadContextFile(file: string): Promise<Paragraph[]> {
  await requireFile(file, "context file");
  const text = decodeText(file, await readFile(file));
  if (!file.toLowerCase().endsWith(".json")) {
    const paragraphs = plainTextParagraphs(text);
    if (paragraphs.length === 0) throw new Error(`context file "${file}" has no paragraphs; ${EXPECTED}`);
    return paragraphs;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`context file "${file}": invalid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new Error(`context file "${file}": expected a JSON array of paragraphs`);
  if (raw.length === 0) throw new Error(`context file "${file}" has no paragraphs (an empty JSON array); ${EXPECTED}`);
  return raw.map((entry, i) => {
    const hotpot = hotpotParagraph.safeParse(entry);
    const parsed = hotpot.success ? null : paragraphSchema.safeParse(entry);
    if (parsed != null && !parsed.success)
      throw new Error(`context file "${file}": entry [${i}]: expected a string, {title?, text}, {title, sentences} or [title, [sentences]]`);
    const paragraph = hotpot.success ? { title: hotpot.data[0], sentences: hotpot.data[1] } : toParagraph(parsed!.data!);
    if (paragraph.sentences.join("").trim() === "") throw new Error(`context file "${file}": entry [${i}] has no text`);
    return paragraph;
  });
}
