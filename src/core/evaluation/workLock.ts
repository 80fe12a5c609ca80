// A lock on a shared work folder, so that seed processes side by side (`haps eval --partial`) do not write its shared
// files at once: the benchmark's generated files and the action-level data (actions.jsonl, one file every seed reads).
// The first process holds it while it writes them; the others wait, then find them complete and only read. Per-seed
// files (checkpoints, fitted baselines, static adapters) live in the seed's own folder and need no lock.
//
// The lock is a file created exclusively (O_EXCL) holding its owner's pid; a lock whose owner is gone (killed) is
// taken over, so an interrupted run never blocks the next one.
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import path from "node:path";

export async function withWorkLock<T>(dir: string, fn: () => Promise<T>, options: { log?: (line: string) => void; signal?: AbortSignal; pollMs?: number } = {}): Promise<T> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, "shared.lock");
  let told = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      // Its owner was killed: nobody writes the shared files any more.
      await unlink(file).catch(() => {});
      continue;
    }
    if (!told) {
      options.log?.(`waiting for process ${owner || "?"} to finish the shared work folder's data (${file})`);
      told = true;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => {});
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
