// What `haps download` runs: model files into the cache, with a progress bar, resuming, checked.
import { modelCacheDir } from "../../core/download/modelCache.ts";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { loadHapsConfig } from "../../core/config/HapsConfig.ts";
import { downloadModel } from "../../core/download/downloadModel.ts";
import { isModelUri, SHA256_PATTERN } from "../../core/download/modelUri.ts";
import { configModelUris, resolveConfigModels } from "../../core/download/resolveConfigModels.ts";
import { starterConfigJson, starterSet } from "../../core/download/starterSet.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions } from "../cliOptions.ts";
import { formatBytes } from "../../core/download/formatDownload.ts";
import { downloadBar } from "./downloadBar.ts";

export async function runDownload(args: string[], { signal }: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, {
    starter: { type: "boolean" },
    yes: { type: "boolean" },
    "write-config": { type: "string" },
    config: { type: "string" },
    uri: { type: "string" },
    sha256: { type: "string" },
    dir: { type: "string" },
  });
  const modes = [values.starter === true, typeof values.config === "string", typeof values.uri === "string"].filter(Boolean).length;
  if (modes !== 1) throw new Error("give one of --starter, --config FILE or --uri URI (see haps download --help)");
  const dir = path.resolve(values.dir ?? modelCacheDir());
  const bar = downloadBar();
  try {
    if (typeof values.uri === "string") {
      if (!isModelUri(values.uri)) throw new Error(`--uri: expected hf:... or an http(s) URL, got "${values.uri}"`);
      if (values.sha256 != null && !SHA256_PATTERN.test(values.sha256)) throw new Error("--sha256: expected 64 hexadecimal digits");
      const file = await downloadModel(values.uri, { dir, sha256: values.sha256, signal, onProgress: (p) => bar.update(path.basename(p.file || values.uri!), p) });
      bar.stop();
      process.stdout.write(`${file}\n`);
      return 0;
    }
    if (typeof values.config === "string") {
      const config = await loadHapsConfig(values.config);
      const uris = configModelUris(config);
      if (uris.length === 0) {
        process.stdout.write(`${values.config} names no model to download (all its models are files)\n`);
        return 0;
      }
      const resolved = await resolveConfigModels(config, { dir, download: true, signal, onProgress: bar.update });
      bar.stop();
      for (const { field } of uris) process.stdout.write(`${field}: ${fieldFile(resolved, field)}\n`);
      return 0;
    }
    // --starter
    const out = path.resolve(values["write-config"] ?? "haps-starter.json");
    if (existsSync(out) && values["write-config"] == null) throw new Error(`${out} exists; choose another with --write-config FILE`);
    const set = starterSet();
    const total = set.reduce((s, m) => s + m.approxBytes, 0);
    process.stdout.write(`A starter set for HAPS (into ${dir}):\n`);
    for (const m of set) process.stdout.write(`  ${m.role.padEnd(9)} ${m.id.padEnd(22)} ~${formatBytes(m.approxBytes).padStart(8)}  ${m.description}\n`);
    process.stdout.write(`  in all about ${formatBytes(total)}\n`);
    if (values.yes !== true && !(await confirm(`Download these ${set.length} files? [y/N] `))) {
      process.stdout.write("Nothing downloaded.\n");
      return 1;
    }
    for (const m of set) await downloadModel(m.uri, { dir, sha256: m.sha256, signal, onProgress: (p) => bar.update(m.id, p) });
    bar.stop();
    await writeFile(out, `${JSON.stringify(starterConfigJson(set), null, 2)}\n`);
    process.stdout.write(`Wrote ${out}; route with it: haps route --config ${path.relative(process.cwd(), out) || out} --question "..."\n`);
    return 0;
  } finally {
    bar.stop();
  }
}

/** y/N on a terminal; refuses to guess when stdin is not one. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error("stdin is not a terminal: pass --yes to download without asking");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function fieldFile(config: Awaited<ReturnType<typeof resolveConfigModels>>, field: string): string {
  if (field === "router.model") return config.router.model;
  if (field === "embeddingModel") return config.embeddingModel ?? "";
  const i = Number(/candidates\[(\d+)\]/.exec(field)?.[1]);
  return config.candidates[i].model;
}
