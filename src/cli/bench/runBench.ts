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
import { benchEngineMemory, benchSoak } from "./engineBench.ts";
import { benchHypernetwork } from "./hypernetworkBench.ts";
import { poolingShares } from "./poolingShares.ts";
import { benchRoutingPass, type RoutingPassFigures } from "./routingBench.ts";
import { benchBucketed, benchKvReuse, type BucketedFigures, type KvReuseFigures } from "./episodeBench.ts";
import { summarise, type Summary } from "./stats.ts";


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
  const { values } = parseCliOptions(args, { out: { type: "string" }, repeats: { type: "string" }, soak: { type: "string" } });
  const repeats = positiveInt("--repeats", values.repeats, 15, 3);
  const soakRoutes = positiveInt("--soak", values.soak, 2000, 20);
  const out = typeof values.out === "string" ? values.out : path.join("bench", "latest.json");
  const enginePath = path.resolve("dist/engine.mjs");
  if (!existsSync(enginePath)) throw new Error(`${enginePath} is missing: run \`npm run build\` first (npm run bench does)`);
  const say = (message: string) => console.log(message);
  const started = performance.now();
  const scratch = mkdtempSync(path.join(os.tmpdir(), "haps-bench-"));
  try {
    say("CLI start (haps --help)...");
    const cliStart = cliStartMs(7);
    say("hypernetwork at the paper's sizes...");
    const hypernetwork = await benchHypernetwork(repeats);
    signal.throwIfAborted();

    const benchDir = path.join(defaultCacheDir(), "bench");
    const routerPath = await ensureBenchModel(benchDir, BENCH_MODEL_SPECS.router, say);
    const candidatePath = await ensureBenchModel(benchDir, BENCH_MODEL_SPECS.candidate, say);
    const models = await announceDefaultModels();
    const { runtime, pipeline } = await openPipeline(runtimeOptionsFrom(values));
    let runtimeInfo: BenchResult["runtime"] & { threads: number };
    let adapterPath: BenchResult["adapterPath"];
    let routingPass: RoutingPassFigures;
    let kvReuse: KvReuseFigures;
    let episodesMs: Summary;
    let pooling: BenchResult["backbonePoolingProblemShare"];
    try {
      const info = await runtime.info();
      runtimeInfo = { backend: info.backend, gpuDevices: info.gpuDevices, threads: info.threads, nodeLlamaCpp: info.nodeLlamaCppVersion, allocator: ENGINE_ALLOCATOR_ENV, v8Flags: ENGINE_NODE_FLAGS };
      say("adapter path on the realistic bench models...");
      adapterPath = await benchAdapterPath(runtime, routerPath, candidatePath, repeats);
      signal.throwIfAborted();
      say("routing pass on the realistic router...");
      routingPass = await benchRoutingPass(runtime, routerPath, repeats);
      signal.throwIfAborted();
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
      episodesMs = summarise(episodes);
      say("KV reuse within episodes...");
      kvReuse = await benchKvReuse(pipeline, 6);
      say("backbone pooling shares...");
      pooling = await poolingShares(runtime, pipeline);
    } finally {
      await runtime.dispose();
    }
    signal.throwIfAborted();
    say("bucketed evaluation, 100 items, sequential and concurrent...");
    const bucketed: BucketedFigures = await benchBucketed(scratch);
    signal.throwIfAborted();
    say("shipped engine: 1,000 adapters...");
    const memory = await benchEngineMemory(enginePath, scratch, runtimeInfo.threads);
    signal.throwIfAborted();
    say(`shipped engine: ${soakRoutes}-route soak...`);
    // One route at a time: on 2 cores two in flight gave no more throughput (3.2 vs 3.1 routes/s) and made the JS
    // heap swing between 25 and 94 MB before each collection, which hides any trend in RSS.
    const soak = await benchSoak(enginePath, scratch, models, runtimeInfo.threads, soakRoutes, 1);

    const result: BenchResult = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: os.totalmem() / 2 ** 30, platform: `${process.platform}-${process.arch}`, node: process.version, loadAverage: os.loadavg() },
      runtime: runtimeInfo,
      seeds: { features: "Rng(1) and Rng(2)", policy: 0, engineAdapters: "Rng(3)" },
      repeats,
      cliStartMs: cliStart,
      hypernetwork,
      adapterPath,
      routingPass,
      kvReuse,
      bucketed,
      searchQaEpisodeMs: episodesMs,
      /** Share of the RMS-normalised routing feature's energy that varies with the problem (20 questions). */
      backbonePoolingProblemShare: pooling,
      engineMemory: memory,
      soak,
      totalSeconds: (performance.now() - started) / 1000,
    };
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    const markdown = out.replace(/\.json$/, "") + ".md";
    await writeFile(markdown, benchMarkdown(result));
    console.log(`\n${benchMarkdown(result)}\nwrote ${out} and ${markdown} in ${result.totalSeconds.toFixed(0)} s`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
