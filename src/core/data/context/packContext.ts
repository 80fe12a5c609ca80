// What a chat question is answered over, besides the conversation: the user's selection, files they attached and the
// open editors, turned into paragraphs the agents can search (BM25 or embeddings pick the few that go into a prompt).
// Sources come in priority order and are taken while a character budget lasts; everything that did not fit is named
// with the reason, so the chat can say what the answer could not see. Titles carry the source and line range, so a
// paragraph an agent quotes can be traced back.
import type { Paragraph } from "../TaskItem.ts";

export interface ContextSource {
  /** Where the text is from, as a person reads it: a workspace-relative path, "selection in a.ts:3-9". */
  label: string;
  /** 1-based line of the text's first line in its file (a selection starts mid-file). Defaults to 1. */
  firstLine?: number;
  text: string;
}

export interface ContextLimits {
  /** All paragraphs together, in characters. */
  maxChars: number;
  /** One paragraph; longer blocks are cut at line ends into several. */
  maxParagraphChars: number;
}

/**
 * 32,000 characters (about 8,000 tokens of code) in paragraphs of at most 1,200: enough for a few source files, and a
 * bound on the search index the engine builds for every question.
 */
export const DEFAULT_CONTEXT_LIMITS: ContextLimits = { maxChars: 32_000, maxParagraphChars: 1_200 };

export interface LeftOut {
  label: string;
  reason: string;
}

export interface PackedContext {
  paragraphs: Paragraph[];
  /** Labels of the sources that went in, whole or in part (a part is also named in `leftOut`). */
  used: string[];
  leftOut: LeftOut[];
}

interface Block {
  first: number;
  last: number;
  text: string;
}

/** The text's paragraphs: blocks between blank lines, cut at line ends into pieces of at most `maxChars`. */
export function textBlocks(text: string, maxChars: number, firstLine = 1): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  let current: { first: number; lines: string[]; chars: number } | null = null;
  const flush = () => {
    if (current != null && current.lines.some((l) => l.trim() !== "")) {
      blocks.push({ first: current.first, last: current.first + current.lines.length - 1, text: current.lines.join("\n") });
    }
    current = null;
  };
  lines.forEach((line, i) => {
    const number = firstLine + i;
    if (line.trim() === "") return flush();
    // A single line longer than a paragraph (minified code) is cut too: no paragraph exceeds the limit.
    for (let start = 0; start < Math.max(line.length, 1); start += maxChars) {
      const piece = line.slice(start, start + maxChars);
      // `chars` is the length of the lines joined with "\n".
      if (current != null && current.chars + 1 + piece.length > maxChars) flush();
      current ??= { first: number, lines: [], chars: -1 };
      current.lines.push(piece);
      current.chars += 1 + piece.length;
    }
  });
  flush();
  return blocks;
}

const lineRange = (b: Block) => (b.first === b.last ? `line ${b.first}` : `lines ${b.first}-${b.last}`);

/** Paragraphs from `sources` (highest priority first) within `limits`, and what was left out and why. */
export function packContext(sources: readonly ContextSource[], limits: ContextLimits = DEFAULT_CONTEXT_LIMITS): PackedContext {
  const paragraphs: Paragraph[] = [];
  const used: string[] = [];
  const leftOut: LeftOut[] = [];
  let room = limits.maxChars;
  const limit = `the ${limits.maxChars.toLocaleString("en-US")}-character context limit`;
  for (const source of sources) {
    if (source.text.includes("\u0000")) {
      leftOut.push({ label: source.label, reason: "not text" });
      continue;
    }
    const blocks = textBlocks(source.text, limits.maxParagraphChars, source.firstLine ?? 1);
    if (blocks.length === 0) continue;
    let taken = 0;
    for (const block of blocks) {
      if (block.text.length > room) break;
      paragraphs.push({ title: `${source.label} (${lineRange(block)})`, sentences: [block.text] });
      room -= block.text.length;
      taken++;
    }
    if (taken > 0) used.push(source.label);
    if (taken === blocks.length) continue;
    const rest = blocks.slice(taken);
    leftOut.push({
      label: source.label,
      reason: taken === 0 ? `over ${limit}` : `lines ${rest[0].first}-${rest.at(-1)!.last} over ${limit}`,
    });
  }
  return { paragraphs, used, leftOut };
}

/** One line for a person: what the agents could search, and what they could not. */
export function describePackedContext(packed: Pick<PackedContext, "used" | "leftOut">): string {
  const parts: string[] = [];
  if (packed.used.length > 0) parts.push(`Context: ${packed.used.join(", ")}`);
  if (packed.leftOut.length > 0) parts.push(`left out: ${packed.leftOut.map((l) => `${l.label} (${l.reason})`).join(", ")}`);
  return parts.join(" · ");
}
