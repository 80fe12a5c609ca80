/** A download that failed, or a downloaded file refused by a check (size, checksum, GGUF header); names the URI. */
export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    message: string,
    readonly uri: string,
  ) {
    super(message);
  }
}
