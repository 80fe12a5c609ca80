// The `haps.*` settings that shape the engine's runtime, read into the engine's own option types.
import * as vscode from "vscode";
import { userModelCacheDir } from "../core/download/modelCache.ts";
import type { RuntimeOptions } from "../core/runtime/types.ts";

/** The model cache the extension shares with the CLI: $HAPS_MODELS_DIR, else the user's cache folder. */
export function sharedModelCacheDir(): string {
  return process.env.HAPS_MODELS_DIR || userModelCacheDir();
}

/** Settings whose change needs a fresh engine process (llama.cpp takes them once, at start). */
export const ENGINE_SETTINGS = ["haps.threads", "haps.gpu", "haps.gpuLayers"] as const;

export function readEngineSettings(): Omit<RuntimeOptions, "onLog"> {
  const config = vscode.workspace.getConfiguration("haps");
  const threads = config.get<number>("threads", 0);
  const gpu = config.get<string>("gpu", "auto");
  const gpuLayers = config.get<number>("gpuLayers", -1);
  return {
    // 0 means "half the logical cores, at least 1", which the runtime picks when no number is given.
    threads: threads > 0 ? Math.floor(threads) : undefined,
    gpu: gpu === "off" ? false : (gpu as Exclude<RuntimeOptions["gpu"], false | undefined>),
    // -1 (the default) lets llama.cpp offload as many layers as fit.
    gpuLayers: Number.isInteger(gpuLayers) && gpuLayers >= 0 ? gpuLayers : "auto",
  };
}
