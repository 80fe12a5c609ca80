import type { Paragraph } from "../data/TaskItem.ts";
import { cosineSimilarity } from "./cosineSimilarity.ts";
import { paragraphText } from "./paragraphText.ts";
import { checkSearchLimit, type Retriever, type SearchHit } from "./Retriever.ts";

/** Turns texts into vectors, one per text, all of one length (e.g. llama.cpp embeddings from the engine). */
export type EmbedFunction = (texts: string[]) => Promise<number[][]>;

/**
 * Ranks paragraphs by cosine similarity between their embeddings and the query's. Paragraphs are embedded once, on
 * the first search, so building a retriever per item costs nothing until it is used; a failed embedding is retried
 * on the next search rather than cached. Every paragraph is returned up to `k`, however low its score.
 */
export class DenseRetriever implements Retriever {
  readonly #texts: string[];
  readonly #embed: EmbedFunction;
  #paragraphVectors: Promise<number[][]> | null = null;

  constructor(texts: readonly string[], embed: EmbedFunction) {
    this.#texts = [...texts];
    this.#embed = embed;
  }

  static fromParagraphs(paragraphs: readonly Paragraph[], embed: EmbedFunction): DenseRetriever {
    return new DenseRetriever(paragraphs.map(paragraphText), embed);
  }

  async search(query: string, k: number): Promise<SearchHit[]> {
    checkSearchLimit(k, "DenseRetriever.search");
    if (this.#texts.length === 0) return [];
    const paragraphVectors = await this.#vectors();
    const queryVectors = await this.#embed([query]);
    checkVectors(queryVectors, 1, "query");
    const [queryVector] = queryVectors;
    if (queryVector.length !== paragraphVectors[0].length) {
      throw new Error(`DenseRetriever: query embedding has ${queryVector.length} dimensions, paragraph embeddings have ${paragraphVectors[0].length}`);
    }
    return paragraphVectors
      .map((vector, index) => ({ index, score: cosineSimilarity(queryVector, vector), text: this.#texts[index] }))
      .sort((left, right) => right.score - left.score || left.index - right.index)
      .slice(0, k);
  }

  #vectors(): Promise<number[][]> {
    if (this.#paragraphVectors === null) {
      const pending = this.#embed([...this.#texts]).then((vectors) => {
        checkVectors(vectors, this.#texts.length, "paragraph");
        return vectors;
      });
      pending.catch(() => {
        if (this.#paragraphVectors === pending) this.#paragraphVectors = null;
      });
      this.#paragraphVectors = pending;
    }
    return this.#paragraphVectors;
  }
}

/** Rejects an embedding batch of the wrong size or shape, naming the vector, since cosine would hide it as NaN. */
function checkVectors(vectors: number[][], expected: number, what: string): void {
  if (!Array.isArray(vectors) || vectors.length !== expected) {
    throw new Error(`DenseRetriever: embed returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} ${what} vectors, expected ${expected}`);
  }
  const dimensions = vectors[0]?.length;
  vectors.forEach((vector, index) => {
    if (!Array.isArray(vector) || vector.length === 0 || vector.length !== dimensions) {
      throw new Error(`DenseRetriever: ${what} vector ${index} has ${Array.isArray(vector) ? vector.length : "no"} dimensions, expected ${dimensions}`);
    }
    const bad = vector.findIndex((value) => !Number.isFinite(value));
    if (bad !== -1) throw new Error(`DenseRetriever: ${what} vector ${index} has a non-finite value at dimension ${bad}`);
  });
}
