// `haps proof` runs its seeds side by side: one child process per seed (`haps proof --partial --seeds S`), each with
// its own llama.cpp threads, then judges them together (`--combine`), as the judged runs in proof/report.md ran: the
// seeds share nothing but the work folder's models and action-level rows, which the children wait for and reuse. A
// child's output goes to a log file in the work folder; a child that fails leaves the others' results in place
// (`seed-results/`), and the error names its log.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

export interface SeedProcessOptions {
  seeds: readonly number[];
  /** Arguments every child gets after `proof --partial --seeds S` (work folder, margins, threads, ...). */
  args: readonly string[];
  /** How many children run at once. */
  jobs: number;
  workDir: string;
  log: (line: string) => void;
}

/** Runs one `haps proof --partial` child per seed, at most `jobs` at a time; rejects naming every failed seed's log. */
export async function runSeedProcesses(o: SeedProcessOptions): Promise<void> {
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error(`--jobs: expected a positive integer, got ${o.jobs}`);
  await mkdir(o.workDir, { recursive: true });
  const queue = [...o.seeds];
  const failures: string[] = [];
  const worker = async () => {
    for (let seed = queue.shift(); seed != null; seed = queue.shift()) {
      const logFile = path.join(o.workDir, `seed-${seed}.log`);
      o.log(`seed ${seed}: started (log: ${logFile})`);
      const started = performance.now();
      const outcome = await runChild(["proof", "--partial", "--seeds", String(seed), ...o.args], logFile);
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      if (outcome === 0) o.log(`seed ${seed}: done in ${seconds} s`);
      else {
        o.log(`seed ${seed}: failed (${outcome}) after ${seconds} s`);
        failures.push(`seed ${seed} (${outcome}; see ${logFile})`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, o.seeds.length) }, worker));
  if (failures.length > 0) throw new Error(`the proof's seed processes failed: ${failures.join(", ")}; the other seeds' results are kept in ${path.join(o.workDir, "seed-results")}`);
}

/** This CLI again (same Node flags and environment), output to `logFile`; resolves to the exit code or the signal. */
function runChild(args: string[], logFile: string): Promise<number | string> {
  return new Promise((resolve) => {
    const out = createWriteStream(logFile);
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    // A stopped parent stops its children (the launcher forwards SIGINT/SIGTERM/SIGHUP to this process).
    const stop = () => child.kill("SIGTERM");
    process.once("exit", stop);
    child.on("error", (error) => {
      process.off("exit", stop);
      out.end(() => resolve(`cannot start: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      process.off("exit", stop);
      out.end(() => resolve(code ?? `signal ${signal}`));
    });
  });
}
