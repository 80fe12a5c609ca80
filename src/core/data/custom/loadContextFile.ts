// The paragraphs of one question, as `haps route --context FILE` reads them.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Paragraph } from "../TaskItem.ts";
import { paragraphSchema, toParagraph } from "./loadCustomJsonl.ts";

/** Plain text as paragraphs: separated by blank lines, each one's first line its title (a lone line has none). */
export function plainTextParagraphs(text: string, source: string): Paragraph[] {
  const blocks = text.split(/\r?\n\s*\r?\n/).map((b) => b.trim()).filter((b) => b.length > 0);
  if (blocks.length === 0) throw new Error(`${source}: no paragraphs (separate paragraphs with a blank line)`);
  return blocks.map((block) => {
    const [title, ...rest] = block.split(/\r?\n/);
    return rest.length === 0 ? { title: "", sentences: [title] } : { title: title.trim(), sentences: [rest.join(" ")] };
  });
}

/** A HotpotQA-style paragraph: [title, [sentences...]]. */
const hotpotParagraph = z.tuple([z.string(), z.array(z.string())]);

/**
 * Reads paragraphs from `file`:
 * - `.json`: an array whose entries are strings, {title?, text}, {title, sentences} or HotpotQA's [title, [sentences]];
 * - anything else: plain text, paragraphs separated by blank lines, each paragraph's first line its title.
 * Errors name the file and, for JSON, the entry that is wrong.
 */
export async function loadContextFile(file: string): Promise<Paragraph[]> {
  const text = await readFile(file, "utf8");
  if (!file.toLowerCase().endsWith(".json")) return plainTextParagraphs(text, file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: invalid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON array of paragraphs`);
  return raw.map((entry, i) => {
    const hotpot = hotpotParagraph.safeParse(entry);
    if (hotpot.success) return { title: hotpot.data[0], sentences: hotpot.data[1] };
    const parsed = paragraphSchema.safeParse(entry);
    if (!parsed.success)
      throw new Error(`${file}: entry [${i}]: expected a string, {title?, text}, {title, sentences} or [title, [sentences]]`);
    return toParagraph(parsed.data);
  });
}
