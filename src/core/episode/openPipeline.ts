// The one way to get a ready pipeline: a configuration file, or the embedded default models when none is given.
import { loadHapsConfig, parseHapsConfig, type HapsConfig } from "../config/HapsConfig.ts";
import { defaultConfig } from "../config/defaultConfig.ts";
import { modelCacheDir } from "../download/modelCache.ts";
import { resolveConfigModels, type ResolveModelsOptions } from "../download/resolveConfigModels.ts";
import { defaultCacheDir, ensureDefaultModels } from "../models/defaultModels.ts";
import { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { RuntimeOptions } from "../runtime/types.ts";
import { HapsPipeline } from "./HapsPipeline.ts";

export interface OpenPipelineOptions extends RuntimeOptions {
  /** A configuration file; the embedded default models when neither it nor `config` is given. */
  configPath?: string;
  /** A configuration object, validated as a file's would be (relative paths against the working directory). */
  config?: unknown;
  /** Where the embedded models are generated. Defaults to `defaultCacheDir()`. */
  cacheDir?: string;
  /** Changes applied to the loaded configuration (e.g. from CLI flags). */
  override?: (config: HapsConfig) => HapsConfig;
  /** An existing runtime to share; a new one is created (and owned) otherwise. */
  runtime?: LlamaRuntime;
  /**
   * Model settings that are URIs (`hf:...`, `https://...`): where their files are found or downloaded to, and whether
   * to download what is missing. Defaults to `<cacheDir>/models`, without downloading (a missing file is an error).
   */
  models?: Partial<ResolveModelsOptions>;
}

export async function openPipeline(options: OpenPipelineOptions = {}): Promise<{ runtime: LlamaRuntime; pipeline: HapsPipeline; usesEmbeddedModels: boolean }> {
  let config = options.configPath != null
    ? await loadHapsConfig(options.configPath)
    : options.config != null
      ? parseHapsConfig(options.config, "inline configuration", process.cwd())
      : defaultConfig(await ensureDefaultModels(options.cacheDir ?? defaultCacheDir()));
  if (options.override) config = options.override(config);
  config = await resolveConfigModels(config, { dir: modelCacheDir(options.cacheDir), ...options.models });
  const runtime = options.runtime ?? (await LlamaRuntime.create(options));
  try {
    return { runtime, pipeline: await HapsPipeline.create(runtime, config), usesEmbeddedModels: options.configPath == null && options.config == null };
  } catch (error) {
    if (options.runtime == null) await runtime.dispose();
    throw error;
  }
}
