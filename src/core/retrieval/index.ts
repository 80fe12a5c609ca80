export { checkSearchLimit, type Retriever, type SearchHit } from "./Retriever.ts";
export { paragraphText } from "./paragraphText.ts";
export { Bm25Retriever, type Bm25Options } from "./Bm25Retriever.ts";
export { DenseRetriever, type EmbedFunction } from "./DenseRetriever.ts";
export { cosineSimilarity } from "./cosineSimilarity.ts";
