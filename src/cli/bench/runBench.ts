// `npm run bench`: speed and memory figures, written to bench/latest.json and bench/latest.md (never asserted in
// tests). Every timing is a median over repeats with its spread (p10-p90), seeded, with the backend, sizes and
// threads stated. Parts: the CLI's start; the hypernetwork alone at the paper's sizes; the adapter path on models of
// realistic width; episodes and the pooling shares on the embedded models; the shipped engine's memory over 1,000
// adapters and a soak of many routes.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ENGINE_ALLOCATOR_ENV, ENGINE_NODE_FLAGS } from "../../core/engine/allocatorEnv.ts";
import { openPipeline } from "../../core/episode/openPipeline.ts";
import { defaultCacheDir } from "../../core/models/defaultModels.ts";
import { announceDefaultModels } from "../announceDefaultModels.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { benchAdapterPath } from "./adapterPathBench.ts";
import { benchMarkdown, type BenchResult } from "./benchMarkdown.ts";
import { BENCH_MODEL_SPECS, ensureBenchModel } from "./benchModels.ts";
import { benchEngineMemory, benchSoak, ENGINE_MEMORY_WARMUP } from "./engineBench.ts";
import { benchHypernetwork } from "./hypernetworkBench.ts";
import { poolingShares } from "./poolingShares.ts";
import { benchConstrained } from "./constrainedBench.ts";
import { benchRoutingPass } from "./routingBench.ts";
import { benchBucketed, benchKvReuse } from "./episodeBench.ts";
import { summarise, type Summary } from "./stats.ts";


/** The bench's parts, in the order they run; `--only` names some of them. */
export const BENCH_PARTS = ["cli", "hypernetwork", "adapterPath", "routing", "constrained", "episodes", "kvReuse", "pooling", "bucketed", "engineMemory", "adapterSoak", "soak"] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/** `--only a,b`: the parts named (an unknown name is an error that lists the known ones); every part without it. */
export function parseOnly(value: string | boolean | undefined): Set<BenchPart> {
  if (typeof value !== "string") return new Set(BENCH_PARTS);
  const names = value.split(",").map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = names.filter((n) => !(BENCH_PARTS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0)
    throw new Error(`--only: ${names.length === 0 ? "no part named" : `unknown part(s) ${unknown.map((n) => `"${n}"`).join(", ")}`}; the parts are ${BENCH_PARTS.join(", ")}`);
  return new Set(names as BenchPart[]);
}

function positiveInt(flag: string, value: string | boolean | undefined, fallback: number, min: number): number {
  if (typeof value !== "string") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer >= ${min}, got "${value}"`);
  return n;
}

/** Wall time of `haps --help` as a user starts it (bin/haps.mjs: the launcher, then the CLI bundle once). */
function cliStartMs(repeats: number): Summary | null {
  const bin = path.resolve("bin/haps.mjs");
  if (!existsSync(bin)) return null;
  const times: number[] = [];
  for (let i = -1; i < repeats; i++) {
    const t = performance.now();
    const result = spawnSync(process.execPath, [bin, "--help"], { stdio: "ignore", env: stripEngineSettings(process.env) });
    if (result.status !== 0) throw new Error(`bench: haps --help exited with ${result.status}`);
    if (i >= 0) times.push(performance.now() - t);
  }
  return summarise(times);
}

/** This process runs with the engine's settings; a user's shell has none, so the launcher must add them. */
function stripEngineSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of Object.keys(ENGINE_ALLOCATOR_ENV)) delete copy[name];
  return copy;
}

export async function runBench(args: string[], { signal }: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, { out: { type: "string" }, repeats: { type: "string" }, soak: { type: "string" }, "adapter-soak": { type: "string" }, only: { type: "string" } });
  const repeats = positiveInt("--repeats", values.repeats, 15, 3);
  const soakRoutes = positiveInt("--soak", values.soak, 2000, 20);
  const soakAdapters = positiveInt("--adapter-soak", values["adapter-soak"], 20000, 200);
  const only = parseOnly(values.only);
  const everything = only.size === BENCH_PARTS.length;
  const want = (part: BenchPart) => only.has(part);
  // A partial run writes its JSON only where asked: bench/latest.* hold whole runs.
  const out = typeof values.out === "string" ? values.out : everything ? path.join("bench", "latest.json") : null;
  const enginePath = path.resolve("dist/engine.mjs");
  if ((want("engineMemory") || want("adapterSoak") || want("soak")) && !existsSync(enginePath)) throw new Error(`${enginePath} is missing: run \`npm run build\` first (npm run bench does)`);
  const say = (message: string) => console.log(message);
  const started = performance.now();
  const scratch = mkdtempSync(path.join(os.tmpdir(), "haps-bench-"));
  const parts: Partial<BenchResult> = {};
  try {
    if (want("cli")) {
      say("CLI start (haps --help)...");
      parts.cliStartMs = cliStartMs(7);
    }
    if (want("hypernetwork")) {
      say("hypernetwork at the paper's sizes...");
      parts.hypernetwork = await benchHypernetwork(repeats);
      signal.throwIfAborted();
    }

    const benchDir = path.join(defaultCacheDir(), "bench");
    let threads = 0;
    if (["adapterPath", "routing", "constrained", "episodes", "kvReuse", "pooling", "engineMemory", "adapterSoak", "soak"].some((p) => want(p as BenchPart))) {
      const { runtime, pipeline } = await openPipeline(runtimeOptionsFrom(values));
      try {
        const info = await runtime.info();
        threads = info.threads;
        parts.runtime = { backend: info.backend, gpuDevices: info.gpuDevices, threads: info.threads, nodeLlamaCpp: info.nodeLlamaCppVersion, adapterPath: info.nativeLayer.detail, allocator: ENGINE_ALLOCATOR_ENV, v8Flags: ENGINE_NODE_FLAGS };
        const routerPath = want("adapterPath") || want("routing") ? await ensureBenchModel(benchDir, BENCH_MODEL_SPECS.router, say) : "";
        if (want("adapterPath")) {
          say("adapter path on the realistic bench models...");
          const candidatePath = await ensureBenchModel(benchDir, BENCH_MODEL_SPECS.candidate, say);
          parts.adapterPath = await benchAdapterPath(runtime, routerPath, candidatePath, repeats);
          signal.throwIfAborted();
        }
        if (want("routing")) {
          say("routing pass on the realistic router...");
          parts.routingPass = await benchRoutingPass(runtime, routerPath, repeats);
          signal.throwIfAborted();
        }
        if (want("constrained")) {
          // A 32k vocabulary, where the grammar's per-token work shows: the shared random-weights llama when this
          // machine has it (../shared/models), else the embedded candidate (its vocabulary is small).
          const shared = path.resolve("../shared/models/llama-2-tiny-random.gguf");
          const modelPath = existsSync(shared) ? shared : pipeline.config.candidates.map((c) => (c as { model?: string }).model).find((m): m is string => m != null)!;
          say(`constrained replies on ${path.basename(modelPath)}...`);
          parts.constrained = await benchConstrained(runtime, modelPath, repeats);
          signal.throwIfAborted();
        }
        if (want("episodes")) {
          say("search-QA episodes on the embedded models...");
          const episodes: number[] = [];
          for (let i = 0; i < 5; i++) {
            const report = await pipeline.run({
              question: "Which river flows through the capital of France?",
              context: [
                { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through it."] },
                { title: "Lyon", sentences: ["Lyon lies on the Rhone."] },
              ],
            }, { signal });
            episodes.push(report.timings.totalMs);
          }
          parts.searchQaEpisodeMs = summarise(episodes);
        }
        if (want("kvReuse")) {
          say("KV reuse within episodes...");
          parts.kvReuse = await benchKvReuse(pipeline, 6);
        }
        if (want("pooling")) {
          say("backbone pooling shares...");
          // Share of the RMS-normalised routing feature's energy that varies with the problem (20 questions).
          parts.backbonePoolingProblemShare = await poolingShares(runtime, pipeline);
        }
      } finally {
        await runtime.dispose();
      }
    }
    signal.throwIfAborted();
    if (want("bucketed")) {
      say("bucketed evaluation, 100 items, sequential and concurrent...");
      parts.bucketed = await benchBucketed(scratch);
      signal.throwIfAborted();
    }
    if (want("engineMemory")) {
      say("shipped engine: 1,000 adapters...");
      parts.engineMemory = await benchEngineMemory(enginePath, scratch, threads, 1000, { every: 100, warmup: ENGINE_MEMORY_WARMUP });
      signal.throwIfAborted();
    }
    if (want("adapterSoak")) {
      say(`shipped engine: ${soakAdapters.toLocaleString("en-US")} adapters...`);
      parts.adapterSoak = await benchEngineMemory(enginePath, scratch, threads, soakAdapters);
      signal.throwIfAborted();
    }
    if (want("soak")) {
      say(`shipped engine: ${soakRoutes}-route soak...`);
      // One route at a time: on 2 cores two in flight gave no more throughput (3.2 vs 3.1 routes/s) and made the JS
      // heap swing between 25 and 94 MB before each collection, which hides any trend in RSS.
      const models = await announceDefaultModels();
      parts.soak = await benchSoak(enginePath, scratch, models, threads, soakRoutes, 1);
    }

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: os.totalmem() / 2 ** 30, platform: `${process.platform}-${process.arch}`, node: process.version, loadAverage: os.loadavg() },
      seeds: { features: "Rng(1) and Rng(2)", policy: 0, engineAdapters: "Rng(3)" },
      repeats,
      ...parts,
      totalSeconds: (performance.now() - started) / 1000,
    };
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (!everything) {
      if (out != null) {
        await mkdir(path.dirname(out), { recursive: true });
        await writeFile(out, json);
      }
      console.log(`\n${json}${out != null ? `wrote ${out} ` : ""}(parts: ${[...only].join(", ")}) in ${result.totalSeconds.toFixed(0)} s`);
      return 0;
    }
    const whole = result as BenchResult;
    await mkdir(path.dirname(out!), { recursive: true });
    await writeFile(out!, json);
    const markdown = out!.replace(/\.json$/, "") + ".md";
    await writeFile(markdown, benchMarkdown(whole));
    console.log(`\n${benchMarkdown(whole)}\nwrote ${out} and ${markdown} in ${whole.totalSeconds.toFixed(0)} s`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
