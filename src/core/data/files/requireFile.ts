// One wording for paths that cannot be read, so that no raw ENOENT or EISDIR reaches a person.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";

/** A path that is not a readable regular file; the message names what it was for and the path. */
export class UnreadableFileError extends Error {
  override name = "UnreadableFileError";
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** Why a file operation failed, in words ("not found", "is a directory, not a file", ...). */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "not found";
    case "EISDIR":
      return "is a directory, not a file";
    case "ENOTDIR":
      return "not found (a part of the path is not a directory)";
    case "EACCES":
    case "EPERM":
      return "not readable (permission denied)";
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}

/**
 * Resolves with the size of `file` when it is a readable regular file; otherwise rejects with an
 * UnreadableFileError such as `configuration file "x.json": not found`. `what` names the file's role.
 */
export async function requireFile(file: string, what: string): Promise<number> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
    if (!info.isFile()) throw new Error("not a regular file");
    await access(file, constants.R_OK);
    return info.size;
  } catch (error) {
    throw new UnreadableFileError(`${what} "${file}": ${fileProblem(error)}`, file);
  }
}
