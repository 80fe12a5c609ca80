// Runs every test/core/**/*.test.ts with node's test runner (Node 20's --test does not expand globs itself).
// Extra arguments filter the files by substring, e.g. `npm run test:core -- runtime`.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

const filters = process.argv.slice(2);
const files = readdirSync("test/core", { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.join("test/core", f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(", ")}`);
  process.exit(1);
}
// Two files at a time (every llama.cpp context in the tests runs one thread, so two fill this 2-core machine and the
// suite takes about half as long), except the files whose assertions read wall time, resident memory or signal
// delivery: those run afterwards, one at a time, on a machine that nothing else is loading.
const ALONE = ["cli/signals", "cli/reachCommands", "engine/engineLoad", "engine/engineMemory", "remote/remoteClient"];
const alone = files.filter((f) => ALONE.some((a) => f.split(path.sep).join("/").includes(a)));
const together = files.filter((f) => !alone.includes(f));
let status = 0;
for (const [group, concurrency] of [[together, 2], [alone, 1]]) {
  if (group.length === 0) continue;
  const result = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", "--test", `--test-concurrency=${concurrency}`, ...group], { stdio: "inherit" });
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
