import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's shared data folder, `../shared/data` beside the repository root; never copied into the repo. */
export const SHARED_DATA = fileURLToPath(new URL("../../../../shared/data", import.meta.url));

/** Path of a file under the shared data folder. */
export function sharedFile(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

/** `false` when the shared data is present, else the reason for `test(..., { skip })`. */
export const skipWithoutSharedData: string | false = existsSync(SHARED_DATA)
  ? false
  : `shared data not found at ${SHARED_DATA} (see shared/data/SOURCES.md)`;
