/** One ranked paragraph: its position in the retriever's list, its score (higher is better) and its text. */
export interface SearchHit {
  index: number;
  score: number;
  text: string;
}

/** Ranks a fixed list of paragraphs against a query. */
export interface Retriever {
  /** The best `k` paragraphs for `query`, best first; ties keep list order. */
  search(query: string, k: number): Promise<SearchHit[]>;
}

/** Throws a RangeError naming the caller when `k` is not a positive integer (0 would silently hide all context). */
export function checkSearchLimit(k: number, caller: string): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${caller}: k must be a positive integer, got ${k}`);
}
