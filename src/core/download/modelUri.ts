// Model settings hold a file path or a URI to download from. The URI forms are node-llama-cpp's own (its downloader
// resolves them): `hf:<user>/<repo>:<quant>`, `hf:<user>/<repo>/<file path>#<branch>`, and plain http(s) URLs.

/** Whether a model setting names something to download (`hf:` or an http(s) URL) rather than a file on disk. */
export function isModelUri(value: string): boolean {
  return /^hf:/i.test(value) || /^https?:\/\//i.test(value);
}

/** 64 hexadecimal digits: how a SHA-256 checksum is written in a configuration (case does not matter). */
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;
