// A proposal for a first real set of models: a ~1B router, two candidates of different sizes (and prices), and an
// embedding model for dense retrieval, as `hf:` URIs that node-llama-cpp's downloader resolves. Sizes are those of
// the files on Hugging Face when this list was written (rounded; the download reports the exact ones). All are GGUF
// builds of instruction-tuned models with a chat template; licences are the models' own (Llama 3.2 Community
// License, Apache-2.0).
// Every file's SHA-256 is pinned, each taken where several independent public records of that exact file agree
// (Hugging Face's LFS object ids); a downloaded file that differs is refused and deleted.
import { defaultAgents } from "../config/HapsConfig.ts";

export interface StarterModel {
  role: "router" | "candidate" | "embedding";
  /** The candidate id (candidates) or a short name. */
  id: string;
  uri: string;
  /** The file's SHA-256, where it is known; a download that differs is refused. */
  sha256?: string;
  /** Approximate file size in bytes. */
  approxBytes: number;
  description: string;
  /** Illustrative prices per million tokens (input, output), proportional to size; set your own. */
  price?: { input: number; output: number };
}

export function starterSet(): StarterModel[] {
  return [
    {
      role: "router",
      id: "llama-3.2-1b",
      uri: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
      sha256: "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83",
      approxBytes: 808e6,
      description: "Llama 3.2 1B Instruct, Q4_K_M: the router LLM (2,048-wide backbone feature)",
    },
    {
      role: "candidate",
      id: "qwen2.5-1.5b",
      uri: "hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf",
      sha256: "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
      approxBytes: 1.117e9,
      description: "Qwen2.5 1.5B Instruct, Q4_K_M: the small, cheap candidate",
      price: { input: 0.1, output: 0.2 },
    },
    {
      role: "candidate",
      id: "llama-3.2-3b",
      uri: "hf:bartowski/Llama-3.2-3B-Instruct-GGUF/Llama-3.2-3B-Instruct-Q4_K_M.gguf",
      sha256: "6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff",
      approxBytes: 2.02e9,
      description: "Llama 3.2 3B Instruct, Q4_K_M: the larger, dearer candidate",
      price: { input: 0.3, output: 0.6 },
    },
    {
      role: "embedding",
      id: "nomic-embed-text-v1.5",
      uri: "hf:nomic-ai/nomic-embed-text-v1.5-GGUF/nomic-embed-text-v1.5.Q8_0.gguf",
      sha256: "3e24342164b3d94991ba9692fdc0dd08e3fd7362e0aacc396a9a5c54a544c3b7",
      approxBytes: 146e6,
      description: "nomic-embed-text v1.5, Q8_0: dense retrieval of paragraphs",
    },
  ];
}

/** A configuration (as a JSON object for a file) that uses the starter set by its URIs. */
export function starterConfigJson(models: readonly StarterModel[] = starterSet()): Record<string, unknown> {
  const router = models.find((m) => m.role === "router")!;
  const embedding = models.find((m) => m.role === "embedding");
  return {
    router: { model: router.uri, ...(router.sha256 == null ? {} : { sha256: router.sha256 }) },
    agents: defaultAgents,
    candidates: models
      .filter((m) => m.role === "candidate")
      .map((m) => ({ id: m.id, model: m.uri, ...(m.sha256 == null ? {} : { sha256: m.sha256 }), description: m.description, price: m.price })),
    ...(embedding == null ? {} : { embeddingModel: embedding.uri, ...(embedding.sha256 == null ? {} : { embeddingModelSha256: embedding.sha256 }) }),
  };
}

