// The one model cache that the CLI and the extension share: where downloaded models live, which are there (with the
// URI each came from and its size), and removing them. Each URI has its own folder, named by a hash of the URI
// (downloadModel.uriCacheDir), holding the file and a `source.json` note ({uri, sha256?}) written after the file was
// checked. `hf:` URIs may also be found in node-llama-cpp's own models folder (~/.node-llama-cpp/models, where its
// CLI puts them, named by user, repository and file), and are used from there rather than downloaded twice.
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";

/** The shared model cache: $HAPS_MODELS_DIR, else `<cacheDir>/models` when a cache folder is given or set in $HAPS_CACHE_DIR, else the user's cache folder. */
export function modelCacheDir(cacheDir?: string): string {
  const fromEnv = process.env.HAPS_MODELS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  if (cacheDir != null) return path.join(cacheDir, "models");
  if (process.env.HAPS_CACHE_DIR) return path.join(path.resolve(process.env.HAPS_CACHE_DIR), "models");
  return userModelCacheDir();
}

/** The per-user cache folder for models: ~/.cache/haps/models ($XDG_CACHE_HOME), ~/Library/Caches/haps/models, %LOCALAPPDATA%\haps\models. */
export function userModelCacheDir(): string {
  if (process.platform === "win32") return path.join(process.env.LOCALAPPDATA || path.join(homedir(), "AppData", "Local"), "haps", "models");
  if (process.platform === "darwin") return path.join(homedir(), "Library", "Caches", "haps", "models");
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "haps", "models");
}

/** node-llama-cpp's own models folder (its CLI's `pull` downloads there). */
export function nodeLlamaCppModelsDir(): string {
  return path.join(homedir(), ".node-llama-cpp", "models");
}

/** The note beside a downloaded file. */
export const SOURCE_NOTE = "source.json";

export interface CachedModel {
  /** The cache folder's name (a hash of the URI): what `remove` takes. */
  id: string;
  /** The URI it was downloaded from; null for a folder without a note (an unfinished download). */
  uri: string | null;
  /** Its files, with sizes (a partial download ends in `.ipull`). */
  files: { path: string; bytes: number }[];
  /** All its files together. */
  bytes: number;
  /** Whether the download is unfinished (no checked file yet). */
  partial: boolean;
}

/** Records which URI a checked file came from. */
export async function writeSourceNote(folder: string, uri: string, sha256?: string): Promise<void> {
  await writeFile(path.join(folder, SOURCE_NOTE), `${JSON.stringify({ uri, ...(sha256 == null ? {} : { sha256: sha256.toLowerCase() }) })}\n`);
}

const ID = /^[0-9a-f]{16}$/;

/** Every model in the cache, largest first. */
export async function listCachedModels(dir: string): Promise<CachedModel[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const models: CachedModel[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !ID.test(entry.name)) continue;
    const folder = path.join(dir, entry.name);
    const note = await readFile(path.join(folder, SOURCE_NOTE), "utf8").then((t) => JSON.parse(t) as { uri?: unknown }, () => null);
    const files: CachedModel["files"] = [];
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (name === SOURCE_NOTE) continue;
      const info = await stat(path.join(folder, name)).catch(() => null);
      if (info?.isFile()) files.push({ path: path.join(folder, name), bytes: info.size });
    }
    const uri = typeof note?.uri === "string" ? note.uri : null;
    models.push({ id: entry.name, uri, files, bytes: files.reduce((n, f) => n + f.bytes, 0), partial: uri == null || files.some((f) => f.path.endsWith(".ipull")) });
  }
  return models.sort((a, b) => b.bytes - a.bytes);
}

/** Deletes one model's folder; `idOrUri` is its id or the URI it came from. Resolves with what was removed, or null when nothing matched. */
export async function removeCachedModel(dir: string, idOrUri: string): Promise<CachedModel | null> {
  const model = (await listCachedModels(dir)).find((m) => m.id === idOrUri || m.uri === idOrUri);
  if (model == null) return null;
  // The id is 16 hex digits, so this stays inside the cache folder.
  await rm(path.join(dir, model.id), { recursive: true, force: true });
  return model;
}
