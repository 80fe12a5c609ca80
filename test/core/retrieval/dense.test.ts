import { test } from "node:test";
import assert from "node:assert/strict";
import { DenseRetriever, type EmbedFunction } from "../../../src/core/retrieval/DenseRetriever.ts";
import { cosineSimilarity } from "../../../src/core/retrieval/cosineSimilarity.ts";

// DenseRetriever's job is ranking by cosine similarity, not embedding, so these tests give it a deterministic
// bag-of-words embedding (word counts over a fixed vocabulary) whose cosines can be worked out by hand.
function bagOfWords(vocabulary: string[]): { embed: EmbedFunction; calls: string[][] } {
  const calls: string[][] = [];
  const embed: EmbedFunction = async (texts) => {
    calls.push(texts);
    return texts.map((text) => {
      const words = text.toLowerCase().split(/\W+/);
      return vocabulary.map((term) => words.filter((word) => word === term).length);
    });
  };
  return { embed, calls };
}

const VOCABULARY = ["apple", "pie", "recipe", "banana", "bread", "tart"];

test("ranks by cosine similarity with hand-worked scores", async () => {
  const { embed } = bagOfWords(VOCABULARY);
  const retriever = new DenseRetriever(["apple pie recipe", "banana bread", "apple tart"], embed);
  const hits = await retriever.search("apple pie", 3);
  assert.deepEqual(hits.map((hit) => hit.index), [0, 2, 1]);
  // [1,1,0..] vs [1,1,1,..]: 2 / (sqrt 2 * sqrt 3); vs apple tart: 1 / (sqrt 2 * sqrt 2); vs banana bread: 0.
  assert.ok(Math.abs(hits[0].score - 2 / Math.sqrt(6)) < 1e-12);
  assert.ok(Math.abs(hits[1].score - 0.5) < 1e-12);
  assert.equal(hits[2].score, 0);
  assert.equal(hits[0].text, "apple pie recipe");
  assert.deepEqual((await retriever.search("apple pie", 1)).map((hit) => hit.index), [0]);
});

test("paragraphs are embedded once, on the first search", async () => {
  const { embed, calls } = bagOfWords(VOCABULARY);
  const retriever = new DenseRetriever(["apple", "bread"], embed);
  assert.equal(calls.length, 0);
  await retriever.search("apple", 1);
  await retriever.search("bread", 1);
  assert.deepEqual(calls, [["apple", "bread"], ["apple"], ["bread"]]);
});

test("equal scores keep list order; a zero vector scores 0", async () => {
  const { embed } = bagOfWords(VOCABULARY);
  const retriever = new DenseRetriever(["tart", "nothing known", "tart"], embed);
  const hits = await retriever.search("tart", 3);
  assert.deepEqual(hits.map((hit) => [hit.index, hit.score]), [[0, 1], [2, 1], [1, 0]]);
  assert.equal(cosineSimilarity([0, 0], [1, 2]), 0);
});

test("embedding batches of the wrong size or shape are named errors, and a failed batch is retried", async () => {
  let mode: "short" | "ragged" | "nan" | "ok" = "short";
  const embed: EmbedFunction = async (texts) => {
    if (texts.length > 1 && mode === "short") return [[1, 0]];
    if (texts.length > 1 && mode === "ragged") return [[1, 0], [1]];
    if (texts.length > 1 && mode === "nan") return [[1, 0], [NaN, 0]];
    return texts.map((text) => (text === "x" ? [1, 0] : [0, 1]));
  };
  const retriever = new DenseRetriever(["x", "y"], embed);
  await assert.rejects(retriever.search("x", 1), /embed returned 1 paragraph vectors, expected 2/);
  mode = "ragged";
  await assert.rejects(retriever.search("x", 1), /paragraph vector 1 has 1 dimensions, expected 2/);
  mode = "nan";
  await assert.rejects(retriever.search("x", 1), /paragraph vector 1 has a non-finite value at dimension 0/);
  mode = "ok";
  assert.equal((await retriever.search("y", 1))[0].index, 1);
  const mismatched = new DenseRetriever(["x"], async (texts) => texts.map((text) => (text === "x" ? [1, 0] : [1, 0, 0])));
  await assert.rejects(mismatched.search("q", 1), /query embedding has 3 dimensions, paragraph embeddings have 2/);
});

test("an empty list returns nothing and bad k is an error", async () => {
  const { embed, calls } = bagOfWords(VOCABULARY);
  assert.deepEqual(await new DenseRetriever([], embed).search("apple", 3), []);
  assert.equal(calls.length, 0);
  await assert.rejects(new DenseRetriever(["apple"], embed).search("apple", -1), /k must be a positive integer, got -1/);
});
