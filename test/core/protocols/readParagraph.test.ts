// Search[...] on a real HotpotQA item through the real BM25 retriever (no model needed).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Bm25Retriever } from "../../../src/core/retrieval/Bm25Retriever.ts";
import { paragraphText } from "../../../src/core/retrieval/paragraphText.ts";
import { NO_MATCH, readParagraph } from "../../../src/core/protocols/readParagraph.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { firstHotpotItem, skipWithoutSharedFiles } from "./helpers.ts";

describe("reading paragraphs for Search[...]", { skip: skipWithoutSharedFiles }, () => {
  let item: TaskItem;
  let retriever: Bm25Retriever;
  before(async () => {
    item = await firstHotpotItem();
    retriever = Bm25Retriever.fromParagraphs(item.context ?? []);
  });

  test("a search reads the best match of the item's paragraphs, and repeating it moves on to the next best", async () => {
    const title = item.context![0].title;
    const best = await retriever.search(title, 3);
    assert.ok(best.length >= 2, "the title should match at least two paragraphs of this item");
    const read = new Set<number>();
    assert.equal(await readParagraph(retriever, title, read, 10_000), best[0].text.trim());
    assert.equal(await readParagraph(retriever, title, read, 10_000), best[1].text.trim());
    assert.deepEqual([...read], [best[0].index, best[1].index]);
    assert.ok(item.context!.some((p) => best[0].text === paragraphText(p)));
  });

  test("a search that shares no word with any paragraph reads nothing", async () => {
    const read = new Set<number>();
    assert.equal(await readParagraph(retriever, "zzzqxv wwqqk", read, 500), NO_MATCH);
    assert.equal(read.size, 0);
  });

  test("long paragraphs are clipped to the limit", async () => {
    const text = await readParagraph(retriever, item.context![0].title, new Set(), 80);
    assert.ok(text.length <= 80);
    assert.ok(text.startsWith(item.context![0].title));
  });
});
