// What `haps models` runs: the shared model cache listed, or models removed from it (core/download/modelCache.ts).
import path from "node:path";
import { parseArgs } from "node:util";
import { formatBytes } from "../../core/download/formatDownload.ts";
import { listCachedModels, modelCacheDir, removeCachedModel } from "../../core/download/modelCache.ts";
import type { CliContext } from "../CliCommand.ts";

export async function runModels(args: string[], _context: CliContext): Promise<number> {
  const [action, ...rest] = args;
  // Ids and URIs follow `rm`: the one command here that takes positional arguments.
  const { values, positionals } = parseArgs({ args: rest, options: { dir: { type: "string" }, json: { type: "boolean" } }, strict: true, allowPositionals: action === "rm" });
  const dir = path.resolve(values.dir ?? modelCacheDir());
  if (action === "list") {
    const models = await listCachedModels(dir);
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify({ dir, models }, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(`${dir}: ${models.length} model${models.length === 1 ? "" : "s"}, ${formatBytes(models.reduce((n, m) => n + m.bytes, 0))}\n`);
    for (const m of models) process.stdout.write(`${m.id}  ${formatBytes(m.bytes).padStart(9)}  ${m.uri ?? "(unfinished download)"}${m.partial && m.uri != null ? " (partial)" : ""}\n`);
    return 0;
  }
  if (action === "rm") {
    if (positionals.length === 0) throw new Error("haps models rm: name the models to delete (ids or URIs, as haps models list shows them)");
    let missing = 0;
    for (const which of positionals) {
      const removed = await removeCachedModel(dir, which);
      if (removed == null) {
        process.stderr.write(`haps models rm: no model "${which}" in ${dir}\n`);
        missing++;
      } else process.stdout.write(`deleted ${removed.uri ?? removed.id} (${formatBytes(removed.bytes)})\n`);
    }
    return missing === 0 ? 0 : 1;
  }
  throw new Error(`haps models: expected "list" or "rm", got ${action == null ? "nothing" : `"${action}"`} (see haps models --help)`);
}
