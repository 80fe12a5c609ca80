// A configuration whose model fields hold URIs (`hf:...`, `https://...`) made ready to load: each URI replaced by its
// file in the model cache. Without `download`, only files already there are used and a missing one is an error that
// names the field and how to get it; with `download`, missing ones are downloaded (resuming partial files) and
// checked against the configuration's sha256 fields.
import type { HapsConfig } from "../config/HapsConfig.ts";
import { DownloadError } from "./DownloadError.ts";
import { downloadModel, findDownloadedModel, verifyModelFile, type DownloadProgress, type ModelCacheOptions } from "./downloadModel.ts";
import { isModelUri } from "./modelUri.ts";

/** One model setting that names a URI. */
export interface ConfigModelUri {
  /** The configuration field: `router.model`, `candidates[1].model`, `embeddingModel`. */
  field: string;
  uri: string;
  sha256?: string;
}

export interface ResolveModelsOptions extends ModelCacheOptions {
  /** Download what is not in the cache. Defaults to `false` (use the cache only). */
  download?: boolean;
  /** Progress of each download, with the field it is for. */
  onProgress?: (field: string, progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** The URI model settings of a configuration, in field order. */
export function configModelUris(config: HapsConfig): ConfigModelUri[] {
  const uris: ConfigModelUri[] = [];
  if (isModelUri(config.router.model)) uris.push({ field: "router.model", uri: config.router.model, sha256: config.router.sha256 });
  config.candidates.forEach((c, i) => {
    if (c.kind === "local" && isModelUri(c.model)) uris.push({ field: `candidates[${i}].model`, uri: c.model, sha256: c.sha256 });
  });
  if (config.embeddingModel != null && isModelUri(config.embeddingModel)) uris.push({ field: "embeddingModel", uri: config.embeddingModel, sha256: config.embeddingModelSha256 });
  return uris;
}

/** The configuration with every URI replaced by its downloaded file; unchanged when it names none. */
export async function resolveConfigModels(config: HapsConfig, options: ResolveModelsOptions): Promise<HapsConfig> {
  const uris = configModelUris(config);
  if (uris.length === 0) return config;
  const files = new Map<string, string>();
  const missing: string[] = [];
  for (const { field, uri, sha256 } of uris) {
    options.signal?.throwIfAborted();
    let file = await findDownloadedModel(uri, { ...options, sha256 });
    try {
      if (file != null) await verifyModelFile(uri, file, { sha256 });
      else if (options.download) file = await downloadModel(uri, { ...options, sha256, onProgress: (p) => options.onProgress?.(field, p) });
    } catch (error) {
      if (error instanceof DownloadError) throw new DownloadError(`${field}: ${error.message}`, uri);
      throw error;
    }
    if (file == null) missing.push(`${field}: "${uri}" is not downloaded yet`);
    else files.set(uri, file);
  }
  if (missing.length > 0)
    throw new DownloadError(`${missing.join("\n  ")}\n  (download with \`haps download --config FILE\`, into ${options.dir})`, uris[0].uri);
  const local = (p: string) => files.get(p) ?? p;
  return {
    ...config,
    router: { ...config.router, model: local(config.router.model) },
    candidates: config.candidates.map((c) => (c.kind === "local" ? { ...c, model: local(c.model) } : c)),
    embeddingModel: config.embeddingModel == null ? undefined : local(config.embeddingModel),
  };
}
