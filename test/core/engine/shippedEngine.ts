// The engine as it ships: dist/engine.mjs (esbuild's bundle) run by plain node through EngineClient, with the
// memory settings EngineClient gives every engine - not the TypeScript sources under tsx, whose own start-up changes
// how V8 sizes its heap (see src/core/engine/allocatorEnv.ts).
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../runtime/helpers.ts";

let built: Promise<string> | null = null;

/** Builds the bundles as `npm run build` does (once per test file), so the bundle tested is the current source. */
export function shippedEnginePath(): Promise<string> {
  built ??= promisify(execFile)(process.execPath, ["scripts/build.mjs"], { cwd: repoRoot }).then(() => path.join(repoRoot, "dist", "engine.mjs"));
  return built;
}

/** Resident memory of a process, in MiB (Linux). */
export function residentMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (kib == null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib[1]) / 1024;
}

/** Open file descriptors of a process (Linux). */
export function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The median of a sample. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
