// Model URIs (`hf:...`, `https://...`) made available in a model cache, one after the other, with each file's start,
// progress and end reported as events: what the engine's `downloadModels` method runs for the extension (whose
// progress notification shows them) and what a dry run uses to say what is missing. Files already in the cache are
// checked (size, GGUF header, SHA-256 when given), not fetched again.
import { DownloadError } from "./DownloadError.ts";
import { downloadModel, findDownloadedModel, verifyModelFile, type DownloadProgress } from "./downloadModel.ts";
import type { ConfigModelUri } from "./resolveConfigModels.ts";

export interface DownloadModelsParams {
  /** A configuration file whose URI model settings are wanted. Defaults to none. */
  configPath?: string;
  /** The same configuration inline (relative paths against the engine's working directory). Defaults to none. */
  config?: unknown;
  /** More URIs, each with the name it is reported under (e.g. a starter model's id). Defaults to none. */
  uris?: ConfigModelUri[];
  /** Fetch nothing: only say which files are there and which are missing. Defaults to `false`. */
  dryRun?: boolean;
}

export interface ModelFileStatus extends ConfigModelUri {
  /** The file in the cache; null when it is missing (a dry run). */
  file: string | null;
  /** Whether this request fetched it (false: it was there already). */
  downloaded: boolean;
}

export interface DownloadModelsResult {
  /** The model cache folder. */
  dir: string;
  files: ModelFileStatus[];
}

/** One file's download: `start` (before the first byte), `progress`, `done` (fetched and checked). */
export type ModelDownloadEvent =
  | { type: "start"; field: string; uri: string; index: number; count: number }
  | { type: "progress"; field: string; uri: string; index: number; count: number; progress: DownloadProgress }
  | { type: "done"; field: string; uri: string; index: number; count: number; file: string };

export interface DownloadModelsOptions {
  /** The model cache folder. */
  dir: string;
  /** Defaults to `false`. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: ModelDownloadEvent) => void;
}

export async function downloadModels(uris: readonly ConfigModelUri[], options: DownloadModelsOptions): Promise<DownloadModelsResult> {
  const files: ModelFileStatus[] = [];
  const emit = options.onEvent ?? (() => {});
  // The same file may be named twice (a router that is also a candidate): fetched once.
  const seen = new Map<string, string>();
  const unique = [...new Set(uris.map((u) => u.uri))];
  for (const entry of uris) {
    const { field, uri, sha256 } = entry;
    options.signal?.throwIfAborted();
    let file = seen.get(uri) ?? (await findDownloadedModel(uri, { dir: options.dir, sha256 }));
    let downloaded = false;
    try {
      if (file != null) {
        await verifyModelFile(uri, file, { sha256 });
      } else if (!options.dryRun) {
        const where = { field, uri, index: unique.indexOf(uri), count: unique.length };
        emit({ type: "start", ...where });
        file = await downloadModel(uri, { dir: options.dir, sha256, signal: options.signal, onProgress: (progress) => emit({ type: "progress", ...where, progress }) });
        emit({ type: "done", ...where, file });
        downloaded = true;
      }
    } catch (error) {
      if (error instanceof DownloadError) throw new DownloadError(`${field}: ${error.message}`, uri);
      throw error;
    }
    if (file != null) seen.set(uri, file);
    files.push({ ...entry, file, downloaded });
  }
  return { dir: options.dir, files };
}
