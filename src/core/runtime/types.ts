import type { LoraAdapter } from "../adapters/types.ts";

/**
 * A LoRA adapter attached for one request only: a GGUF file, or a generated adapter that the runtime checks against
 * the model in memory and writes itself. `scale` defaults to 1.
 */
export type AdapterSource = { path: string; scale?: number } | { lora: LoraAdapter; scale?: number };

/** Options of the one llama.cpp runtime that the engine owns. */
export interface RuntimeOptions {
  /** GPU backend. `"auto"` offloads to CUDA/Vulkan/Metal when present, else the CPU. Defaults to `"auto"`. */
  gpu?: "auto" | "cuda" | "vulkan" | "metal" | false;
  /**
   * Threads per context. llama.cpp's own default (max(4, cores)) oversubscribes small machines by ~100x, so we always
   * pass a number. Contexts decode concurrently while their threads together fit on the logical cores (twice them
   * with one thread per context; LlamaRuntime.threadBudget). Defaults to half the logical cores, at least 1.
   */
  threads?: number;
  /** Layers of each model offloaded to the GPU: a count, or `"auto"` (as many as fit). Ignored on the CPU. Defaults to `"auto"`. */
  gpuLayers?: number | "auto";
  /**
   * Use the native layer (in-place adapters, malloc_trim) when its binary is there and its checks pass. `false` forces
   * the TypeScript path (adapters through files), as does the environment variable HAPS_NATIVE=off. Defaults to true.
   */
  native?: boolean;
  /** Where llama.cpp's log lines go (the reason of a failed adapter load appears only there). Defaults to none. */
  onLog?: (level: string, message: string) => void;
}

/** What the runtime reports about itself: the backend, the devices and the models loaded. */
export interface RuntimeInfo {
  backend: string;
  gpu: string | false;
  gpuDevices: string[];
  threads: number;
  nodeLlamaCppVersion: string;
  /**
   * How per-query adapters reach llama.cpp: `native` (updated in place through the native layer) or `typescript`
   * (written to a file, loaded and freed per query), with the reason. A model whose checks failed uses files anyway
   * (the log says so).
   */
  nativeLayer: { path: "native" | "typescript"; detail: string };
  /** Threads (the engine's own included) the hypernetwork's largest layers are split over (nn/kernels/KernelThreads.ts). */
  hypernetworkThreads: number;
  models: LoadedModelInfo[];
  /** The engine process's resident memory, and the GPU's memory when one is in use. */
  memory: { rssBytes: number; vram: { totalBytes: number; usedBytes: number } | null };
}

export interface LoadedModelInfo {
  path: string;
  id: string;
  gpuLayers: number;
  totalLayers: number;
  architecture: string;
  embeddingLength: number;
  /** Set on a load made for embeddings with an overridden pooling. */
  pooling?: "mean" | "last";
}

/** A plain-data generation request (serialisable, so it crosses the engine's process boundary unchanged). */
export interface GenerateRequest {
  modelPath: string;
  /** Raw prompt text; the model's BOS is prepended. Use `chat` instead for a chat-template prompt. */
  prompt?: string;
  /** Chat messages rendered with the model file's chat template. */
  chat?: { role: "system" | "user" | "assistant"; content: string }[];
  /** Defaults to 128. */
  maxTokens?: number;
  /** 0 is greedy. Defaults to 0. */
  temperature?: number;
  /** Sampling seed. Defaults to 0. */
  seed?: number;
  /** Generation stops before any of these strings. Defaults to none. */
  stop?: string[];
  /** A JSON schema the output must follow (a llama.cpp grammar enforces it). */
  jsonSchema?: object;
  /** A LoRA adapter attached for this request only. Defaults to none (the base model). */
  adapter?: AdapterSource;
}

export interface GenerateResult {
  text: string;
  promptTokens: number;
  /** Prompt tokens a session's KV cache already held (not evaluated again); 0 outside a session. */
  cachedTokens: number;
  outputTokens: number;
  stopReason: "eos" | "maxTokens" | "stop" | "abort";
  ms: number;
}
