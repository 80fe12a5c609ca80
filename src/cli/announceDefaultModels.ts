import { defaultCacheDir, ensureDefaultModels, type EnsureDefaultModelsOptions } from "../core/models/defaultModels.ts";
import type { DefaultModels } from "../core/models/types.ts";

/**
 * Makes sure the embedded models exist, saying so on stderr when they have to be generated (the first run), so a
 * first run does not sit silent. Later calls for the same folder (openPipeline's) share this one.
 */
export async function announceDefaultModels(cacheDir = defaultCacheDir()): Promise<DefaultModels> {
  const options: EnsureDefaultModelsOptions = { onGenerate: (message) => process.stderr.write(`${message}\n`) };
  return await ensureDefaultModels(cacheDir, options);
}
