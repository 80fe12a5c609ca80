// Model files from `hf:` URIs and http(s) URLs, through node-llama-cpp's downloader (createModelDownloader, which
// uses ipull: parallel ranged requests, and a `<file>.ipull` progress file that lets an interrupted download resume
// where it stopped). Around it, what a download needs before llama.cpp may load the file:
//   - progress as bytes, speed and time left (measured here over the last seconds, not taken on trust);
//   - cancellation through an AbortSignal that keeps the partial file for the next attempt to resume;
//   - checks of the finished file: its size against the server's, the GGUF header (readModelShape: parseable and
//     not truncated), and the SHA-256 when one is given. A file that fails a check is deleted and the error says why:
//     a corrupted model is never left where the next run would load it.
// A verified file gets a small `<file>.sha256` note (hash, size, mtime), so that later runs skip re-hashing it.
// The cache is keyed by the full URI: each URI has its own folder, `<dir>/<first 16 hex digits of SHA-256(URI)>/`,
// so that a file downloaded from one URL (or planted under a download's name) is never returned for another URI.
// Plain http is refused without a SHA-256 (except from this machine), and sizes are capped.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { readModelShape } from "../gguf/readModelShape.ts";
import { isLoopbackHost } from "../host/keyOrigin.ts";
import { DownloadError } from "./DownloadError.ts";
import { nodeLlamaCppModelsDir, writeSourceNote } from "./modelCache.ts";

export interface DownloadProgress {
  uri: string;
  /** The file being written (its final name). */
  file: string;
  downloadedBytes: number;
  /** 0 until the server has said. */
  totalBytes: number;
  /** Over the last few seconds. */
  bytesPerSecond: number;
  /** Infinity while the speed is unknown. */
  etaSeconds: number;
}

export interface ModelCacheOptions {
  /** The folder models are downloaded into and found in (the CLI's `<cache>/models`, the extension's global storage). */
  dir: string;
  /** The Hugging Face endpoint for `hf:` URIs. Defaults to node-llama-cpp's (`HF_ENDPOINT`, else huggingface.co). */
  huggingFaceEndpoint?: string;
  /**
   * node-llama-cpp's own models folder, where an `hf:` URI's file is used from when this cache lacks it (null: never).
   * Defaults to ~/.node-llama-cpp/models.
   */
  nodeLlamaCppDir?: string | null;
}

/** What finding a model may check before it reuses a file it did not download itself. */
export interface FindOptions extends ModelCacheOptions {
  /** The file's SHA-256: a file in node-llama-cpp's folder that differs is not used (and left alone). */
  sha256?: string;
}

export interface DownloadOptions extends ModelCacheOptions {
  /** The file's SHA-256 (64 hex digits); a file that differs is deleted and refused. Defaults to none (no check). */
  sha256?: string;
  /** The expected size in bytes; a file of another size is deleted and refused. Defaults to none (the server's size only). */
  size?: number;
  /** The largest file accepted, in bytes; a larger one is refused before it is fetched. Defaults to 64 GiB. */
  maxBytes?: number;
  /**
   * Extra request headers. Defaults to none. (A gated Hugging Face repository needs no header here: node-llama-cpp
   * sends $HF_TOKEN, or the token file of huggingface-cli, to Hugging Face and nowhere else.)
   */
  headers?: Record<string, string>;
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download; the partial file stays for the next call to resume. */
  signal?: AbortSignal;
}

/** The file a URI was downloaded to, if it is in the cache (no network). */
export async function findDownloadedModel(uri: string, options: FindOptions): Promise<string | null> {
  const dir = uriCacheDir(uri, options.dir);
  const explicit = urlFileName(uri);
  if (explicit != null) {
    const file = path.join(dir, explicit);
    return (await isFile(file)) ? file : null;
  }
  const { resolveModelFile } = await import("node-llama-cpp");
  const find = (directory: string) => resolveModelFile(uri, { directory, download: false, cli: false, endpoints: endpoints(options) }).catch(() => null);
  const own = (await isDirectory(dir)) ? await find(dir) : null;
  if (own != null) return own;
  // node-llama-cpp names an hf: file by user, repository, branch and file: the same key as the URI itself.
  const shared = options.nodeLlamaCppDir === undefined ? nodeLlamaCppModelsDir() : options.nodeLlamaCppDir;
  if (shared == null || !(await isDirectory(shared))) return null;
  const theirs = await find(shared);
  if (theirs == null || !(await isFile(theirs))) return null;
  const usable = await readModelShape(theirs).then(() => true, () => false);
  if (!usable) return null;
  if (options.sha256 != null && (await sha256Of(theirs)) !== options.sha256.toLowerCase()) return null;
  return theirs;
}

/** Downloads `uri` into the cache (or resumes, or finds it there) and checks it; resolves with the file's path. */
export async function downloadModel(uri: string, options: DownloadOptions): Promise<string> {
  options.signal?.throwIfAborted();
  checkDownloadUri(uri, options.sha256);
  const dir = uriCacheDir(uri, options.dir);
  await mkdir(dir, { recursive: true });
  const { createModelDownloader } = await import("node-llama-cpp");
  let downloader: Awaited<ReturnType<typeof createModelDownloader>>;
  const meter = new SpeedMeter();
  let file = "";
  try {
    downloader = await createModelDownloader({
      modelUri: uri,
      dirPath: dir,
      fileName: urlFileName(uri) ?? undefined,
      headers: options.headers,
      endpoints: endpoints(options),
      // Keep the partial file and its .ipull progress on cancellation: the next call resumes from it.
      deleteTempFileOnCancel: false,
      skipExisting: true,
      showCliProgress: false,
      onProgress: ({ totalSize, downloadedSize }) => {
        const bytesPerSecond = meter.add(downloadedSize);
        options.onProgress?.({
          uri,
          file,
          downloadedBytes: downloadedSize,
          totalBytes: totalSize,
          bytesPerSecond,
          etaSeconds: bytesPerSecond > 0 && totalSize > 0 ? (totalSize - downloadedSize) / bytesPerSecond : Infinity,
        });
      },
    });
  } catch (error) {
    throw new DownloadError(`cannot download "${uri}": ${(error as Error).message}`, uri);
  }
  file = downloader.entrypointFilePath;
  if (downloader.totalFiles !== 1) {
    await downloader.cancel({ deleteTempFile: false });
    throw new DownloadError(`"${uri}" is a model split into ${downloader.totalFiles} files; name a single-file GGUF`, uri);
  }
  const expectedSize = downloader.totalSize;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  if (expectedSize > maxBytes) {
    await downloader.cancel({ deleteTempFile: true });
    throw new DownloadError(`"${uri}" is ${expectedSize} bytes, more than the ${maxBytes} allowed for a model file; nothing was downloaded`, uri);
  }
  try {
    await downloader.download({ signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new DownloadError(`cannot download "${uri}": ${(error as Error).message}; run it again to resume`, uri);
  }
  // A cancelled download ends without an error (node-llama-cpp closes it quietly): the signal says it stopped.
  options.signal?.throwIfAborted();
  options.onProgress?.({ uri, file, downloadedBytes: expectedSize, totalBytes: expectedSize, bytesPerSecond: meter.rate(), etaSeconds: 0 });
  if (expectedSize > 0) await cutDownloaderProgressTail(file, expectedSize);
  await verifyModelFile(uri, file, { sha256: options.sha256, size: options.size ?? (expectedSize > 0 ? expectedSize : undefined) });
  await writeSourceNote(dir, uri, options.sha256);
  return file;
}

/**
 * ipull (node-llama-cpp's downloader) keeps its progress as JSON after the file's bytes while it downloads, and cuts
 * the file to its size when the download ends. A progress write already under way at that moment lands after the cut
 * (seen once in CI: 71 bytes beyond the server's size, a 22 MB file otherwise whole). Such a tail - one JSON object of
 * ipull's progress fields - is cut here, so that a whole download is not deleted for it; any other excess is left for
 * verifyModelFile to refuse. True when it cut.
 */
export async function cutDownloaderProgressTail(file: string, expectedSize: number): Promise<boolean> {
  const size = (await stat(file)).size;
  const excess = size - expectedSize;
  if (excess <= 0 || excess > MAX_PROGRESS_TAIL_BYTES) return false;
  const handle = await open(file, "r+");
  try {
    const tail = Buffer.alloc(excess);
    await handle.read(tail, 0, excess, expectedSize);
    let progress: unknown;
    try {
      progress = JSON.parse(tail.toString("utf8"));
    } catch {
      return false;
    }
    const p = progress as Record<string, unknown> | null;
    const isProgress = p != null && typeof p === "object" && Array.isArray(p.chunks) && typeof p.part === "number" && typeof p.chunkSize === "number";
    if (!isProgress) return false;
    await handle.truncate(expectedSize);
    return true;
  } finally {
    await handle.close();
  }
}

/** The most bytes of downloader progress cutDownloaderProgressTail takes for one (a chunk status per chunk). */
const MAX_PROGRESS_TAIL_BYTES = 1024 * 1024;

/**
 * Checks a model file (size, GGUF header, SHA-256 when given), remembering a passed SHA-256 check in `<file>.sha256`.
 * A file that fails is deleted, and the error says what differed.
 */
export async function verifyModelFile(uri: string, file: string, expect: { sha256?: string; size?: number }): Promise<void> {
  const refuse = async (why: string): Promise<never> => {
    await rm(file, { force: true });
    await rm(`${file}.sha256`, { force: true });
    throw new DownloadError(`"${uri}" -> ${file}: ${why}; the file was deleted, download it again`, uri);
  };
  const info = await stat(file);
  if (expect.size != null && info.size !== expect.size) await refuse(`${info.size} bytes, expected ${expect.size}`);
  try {
    await readModelShape(file);
  } catch (error) {
    await refuse(`not a usable GGUF model (${(error as Error).message})`);
  }
  if (expect.sha256 == null) return;
  const want = expect.sha256.toLowerCase();
  const note = `${file}.sha256`;
  const remembered = await readFile(note, "utf8").catch(() => "");
  if (remembered.trim() === `${want} ${info.size} ${Math.round(info.mtimeMs)}`) return;
  const got = await sha256Of(file);
  if (got !== want) await refuse(`SHA-256 is ${got}, expected ${want} (a corrupted or different file)`);
  await writeFile(note, `${want} ${info.size} ${Math.round(info.mtimeMs)}\n`);
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The largest model file downloaded unless a caller says otherwise. */
export const DEFAULT_MAX_MODEL_BYTES = 64 * 1024 ** 3;

/** The cache folder of one URI: `<dir>/<first 16 hex digits of SHA-256 of the URI>`. */
export function uriCacheDir(uri: string, dir: string): string {
  return path.join(dir, createHash("sha256").update(uri.trim()).digest("hex").slice(0, 16));
}

/**
 * Throws a DownloadError for a URI that must not be fetched as it is: a malformed `%` escape, or plain http from
 * another machine without a SHA-256 to check the file against (anyone on the way could swap it).
 */
export function checkDownloadUri(uri: string, sha256?: string): void {
  urlFileName(uri);
  if (/^http:\/\//i.test(uri) && sha256 == null && !isLoopbackHost(new URL(uri).hostname))
    throw new DownloadError(`"${uri}" is plain http: give its sha256 (or use https), so that a file swapped on the way is refused`, uri);
}

/** For a plain URL, the file name it is saved under (its last path segment); null for `hf:` URIs (node-llama-cpp names those). */
export function urlFileName(uri: string): string | null {
  if (!/^https?:\/\//i.test(uri)) return null;
  let last: string;
  try {
    last = decodeURIComponent(new URL(uri).pathname.split("/").filter(Boolean).at(-1) ?? "");
  } catch (error) {
    throw new DownloadError(`"${uri}": ${error instanceof URIError ? "a malformed % escape in its path (% must be followed by two hexadecimal digits)" : (error as Error).message}`, uri);
  }
  const safe = last.replace(/[^A-Za-z0-9._-]/g, "_");
  return safe === "" || safe.startsWith(".") ? `model-${createHash("sha256").update(uri).digest("hex").slice(0, 12)}.gguf` : safe;
}

function endpoints(options: ModelCacheOptions) {
  return options.huggingFaceEndpoint == null ? undefined : { huggingFace: options.huggingFaceEndpoint };
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() === true;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() === true;
}

/** Bytes per second over a sliding window of a few seconds. */
class SpeedMeter {
  private readonly samples: { t: number; bytes: number }[] = [];
  add(bytes: number): number {
    const t = performance.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[0].t > 5_000) this.samples.shift();
    return this.rate();
  }
  rate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first == null || last == null || last.t - first.t < 200) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  }
}
