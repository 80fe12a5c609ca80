// Shared set-up for tests that run real llama.cpp inference.
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const sharedModels = path.resolve(repoRoot, "../shared/models");
export const stories260K = path.join(sharedModels, "stories260K.gguf");
export const tinyRandom32k = path.join(sharedModels, "llama-2-tiny-random.gguf");
export const haveSharedModels = existsSync(stories260K) && existsSync(tinyRandom32k);
export const skipWithoutSharedModels = haveSharedModels ? false : "../shared/models is not present on this machine";

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `haps-${prefix}-`));
}

/** Largest absolute difference between two next-token distributions (tokens missing from one count as 0). */
export function maxProbabilityDifference(a: Map<number, number>, b: Map<number, number>): number {
  let max = 0;
  for (const [t, p] of a) max = Math.max(max, Math.abs(p - (b.get(t) ?? 0)));
  for (const [t, p] of b) max = Math.max(max, Math.abs(p - (a.get(t) ?? 0)));
  return max;
}
