import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildTinyLlama } from "./buildTinyLlama.ts";
import type { DefaultModels, ModelRef, TinyLlamaSpec } from "./types.ts";

/** The embedded models, generated on first use instead of shipped: a few MB of random weights compress badly. */
export const DEFAULT_MODEL_SPECS = {
  router: { name: "haps-router-64x4", embeddingLength: 64, blockCount: 4, headCount: 4, feedForwardLength: 128, seed: 101 },
  candidates: [
    { name: "haps-small-64x4", embeddingLength: 64, blockCount: 4, headCount: 4, feedForwardLength: 128, seed: 202 },
    { name: "haps-wide-128x6", embeddingLength: 128, blockCount: 6, headCount: 8, feedForwardLength: 256, seed: 303 },
  ],
} as const satisfies { router: TinyLlamaSpec; candidates: readonly TinyLlamaSpec[] };

const ready = new Map<string, Promise<DefaultModels>>();

export interface EnsureDefaultModelsOptions {
  /**
   * Told once per model that has to be generated (the first run, or after the generator changed), before the
   * work starts, so that a first run does not sit silent. Defaults to none.
   */
  onGenerate?: (message: string) => void;
}

/**
 * Writes the default models into `cacheDir` unless they are already there, and returns their paths. A file's name
 * carries a hash of its bytes, so a change to the generator yields new files instead of a stale cache; older
 * versions of the same model are deleted. Files appear atomically (written aside, then renamed), so concurrent
 * callers never see half a model.
 */
export function ensureDefaultModels(cacheDir: string, options: EnsureDefaultModelsOptions = {}): Promise<DefaultModels> {
  const dir = resolve(cacheDir);
  let pending = ready.get(dir);
  if (pending === undefined) {
    pending = generate(dir, options);
    ready.set(dir, pending);
    pending.catch(() => ready.delete(dir));
  }
  // Someone may have emptied the cache since; regenerate rather than hand out missing paths.
  return pending.then((models) =>
    [models.router, ...models.candidates].every((m) => existsSync(m.path)) ? models : (ready.delete(dir), ensureDefaultModels(dir, options)),
  );
}

async function generate(dir: string, options: EnsureDefaultModelsOptions): Promise<DefaultModels> {
  await mkdir(dir, { recursive: true });
  const router = await ensureModel(dir, DEFAULT_MODEL_SPECS.router, options);
  const candidates: ModelRef[] = [];
  for (const spec of DEFAULT_MODEL_SPECS.candidates) candidates.push(await ensureModel(dir, spec, options));
  return { router, candidates };
}

async function ensureModel(dir: string, spec: TinyLlamaSpec, options: EnsureDefaultModelsOptions): Promise<ModelRef> {
  const bytes = buildTinyLlama(spec).toBytes();
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
  const id = spec.name;
  const path = join(dir, `${id}-${hash}.gguf`);
  if (!existsSync(path)) {
    options.onGenerate?.(`Generating the embedded model ${id} (tiny, random weights, ${(bytes.length / 2 ** 20).toFixed(1)} MiB) into ${dir} (first run only)`);
    const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await writeFile(aside, bytes);
      await rename(aside, path);
    } catch (e) {
      await rm(aside, { force: true });
      throw new Error(`ensureDefaultModels: cannot write "${path}": ${(e as Error).message}`);
    }
  }
  const stale = new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{12}\\.gguf$`);
  for (const f of await readdir(dir)) {
    if (stale.test(f) && join(dir, f) !== path) await rm(join(dir, f), { force: true });
  }
  return { id, path };
}

/**
 * Where generated models live: `HAPS_CACHE_DIR` when set, else `.cache/haps` at the repository root (git-ignored),
 * found by walking up from this module to our package.json; the working directory when run from elsewhere.
 */
export function defaultCacheDir(): string {
  const fromEnv = process.env.HAPS_CACHE_DIR;
  if (fromEnv !== undefined && fromEnv.length > 0) return resolve(fromEnv);
  // `import.meta.url` is missing in a CommonJS bundle (the extension); `__dirname` exists there instead.
  const url = (import.meta as { url?: string }).url;
  let here = typeof url === "string" ? dirname(fileURLToPath(url)) : typeof __dirname === "string" ? __dirname : process.cwd();
  for (;;) {
    const pkg = join(here, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "haps-router") return join(here, ".cache", "haps");
      } catch {
        // An unreadable package.json belongs to someone else; keep walking up.
      }
    }
    const parent = dirname(here);
    if (parent === here) return join(process.cwd(), ".cache", "haps");
    here = parent;
  }
}
