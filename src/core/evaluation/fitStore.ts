// A finished fit of one seed, kept in the seed's work folder so that a resumed run (the same --out) does not do it
// again: a baseline's search and decisions (baselineMethods.ts BaselineRecord), a static-adapter form's search and
// test outcomes. Each is stored with a fingerprint of everything it depends on (the seed's examples - their features,
// quality and normalised cost per assignment -, the configurations, the cost regimes, the settings); a stored fit whose
// fingerprint differs is done again, never reused. Like the checkpoints of HAPS's trainings, the fingerprint does not
// cover the code: a resumed run after a code change that alters a fit needs a fresh --out.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** A digest of JSON-able values (typed arrays as plain arrays). */
export function fingerprint(value: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(value, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)))
    .digest("hex")
    .slice(0, 24);
}

/** A file name for a method's name ("Static adapter (fixed: a/b)" -> "static-adapter-fixed-a-b"). */
export const fitSlug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

export async function loadFit<T>(file: string, wanted: string): Promise<T | null> {
  if (!existsSync(file)) return null;
  try {
    const stored = JSON.parse(await readFile(file, "utf8")) as { fingerprint?: string; value?: T };
    return stored.fingerprint === wanted && stored.value != null ? stored.value : null;
  } catch {
    return null;
  }
}

/** Written whole to a temporary name and renamed: a kill never leaves half a fit. */
export async function storeFit(file: string, wanted: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.${process.pid}.tmp`, JSON.stringify({ fingerprint: wanted, value }));
  await rename(`${file}.${process.pid}.tmp`, file);
}

/** A digest of a folder's files (names and bytes, in name order), e.g. a checkpoint a fit started from. */
export async function directoryDigest(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const files = entries.map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).sort();
  for (const file of files) {
    hash.update(path.relative(dir, file));
    hash.update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 24);
}

/** A value as it reads back from its file (JSON: no undefined, non-finite numbers as null). */
export const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
