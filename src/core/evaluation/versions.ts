// What produced a set of results: this package's version and git commit (when it runs from a git checkout), the
// llama.cpp binding, Node and the backend. Written into results.json so a table can be traced to the code behind it.
// The code's facts (package version, commit, dirty flag) are read when a run starts (collectCodeVersions), so a
// commit made while a long run is under way is not recorded as the code it ran; the runtime's are added at the end.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { RuntimeInfo } from "../runtime/types.ts";

export interface Versions {
  package: string;
  /** HEAD of the checkout this code runs from; null outside a git checkout (an installed package). */
  gitCommit: string | null;
  /** Whether the checkout had uncommitted changes to tracked files; null without git. */
  gitDirty: boolean | null;
  nodeLlamaCpp: string;
  node: string;
  backend: string;
  threads: number;
}

export type CodeVersions = Pick<Versions, "package" | "gitCommit" | "gitDirty">;

/** The running code's package version and git state, read now (call it when a run starts). */
export function collectCodeVersions(): CodeVersions {
  const root = packageRoot();
  let pkg = "unknown";
  if (root != null) pkg = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  const git = (args: string[]) => {
    if (root == null) return null;
    try {
      return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
    } catch {
      return null;
    }
  };
  const commit = git(["rev-parse", "HEAD"]);
  const status = commit == null ? null : git(["status", "--porcelain", "--untracked-files=no"]);
  return {
    package: pkg,
    gitCommit: commit,
    gitDirty: status == null ? null : status.length > 0,
  };
}

/** The code's facts as read at the start of the run, with the runtime's. */
export function collectVersions(code: CodeVersions, runtime: Pick<RuntimeInfo, "nodeLlamaCppVersion" | "backend" | "threads">): Versions {
  return {
    ...code,
    nodeLlamaCpp: runtime.nodeLlamaCppVersion,
    node: process.version,
    backend: runtime.backend,
    threads: runtime.threads,
  };
}

/** The folder of this package's package.json (name "haps-router"), from the running module upwards. */
function packageRoot(): string | null {
  const url = (import.meta as { url?: string }).url;
  let here = typeof url === "string" ? path.dirname(fileURLToPath(url)) : process.cwd();
  for (;;) {
    const file = path.join(here, "package.json");
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name === "haps-router") return here;
      } catch {
        // someone else's unreadable package.json: keep walking up
      }
    }
    const parent = path.dirname(here);
    if (parent === here) return null;
    here = parent;
  }
}
