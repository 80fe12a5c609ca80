// The engine process as shipped (dist/engine.mjs on plain node, through EngineClient): resident memory over 1,000
// distinct adapters, and a soak of many short routes with its memory and open files. The shipped engine cannot be
// made to collect garbage, so RSS swings by what V8 has not collected yet; growth is read from medians of windows.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EngineClient } from "../../core/engine/EngineClient.ts";
import { buildTinyLlama } from "../../core/models/buildTinyLlama.ts";
import type { DefaultModels } from "../../core/models/types.ts";
import { Rng } from "../../core/nn/Rng.ts";
import { summarise, type Summary } from "./stats.ts";

function residentMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function median(values: readonly number[]): number {
  return summarise(values).median;
}

export interface MemoryFigures {
  adapters: number;
  adapterKiB: number;
  width: number;
  /** Median RSS of the last 100 queries minus that of the first 100 after a warm-up of 50. */
  growthMiB: number;
  /** Last sample minus first sample. */
  endToEndMiB: number;
  /** Median RSS of the last 100 queries minus that of the 100 around the half-way point: what the second half added. */
  secondHalfMiB: number;
  /** Largest minus smallest sample: the garbage not yet collected, at its worst. */
  swingMiB: number;
  queryMs: Summary;
  /**
   * The same run again in a second engine (the same adapters), its memory read every `every` adapters after two full
   * garbage collections and a malloc_trim (the engine's bench hook, HAPS_ENGINE_MEMORY_PROBE with --expose-gc): what
   * stays, without the garbage V8 has not collected yet. Null when the run measured only RSS.
   */
  afterGc: {
    every: number;
    /** The warm-up, in adapters, before the reading growth is measured from. */
    warmup: number;
    /** Last reading minus the reading after the warm-up (RSS, and V8's live heap). */
    rssGrowthMiB: number;
    heapUsedGrowthMiB: number;
    /** Last reading minus the first (after the 50 adapters every run starts with). */
    rssGrowthFromStartMiB: number;
    samples: { adapters: number; rssMiB: number; heapUsedMiB: number; arrayBuffersMiB: number; trimmed: number }[];
  } | null;
}

/** `count` (1,000; 20,000 for the soak) distinct rank-8 adapters on a 1024-wide model (64 KiB each; kept, 1,000 would add 62 MiB). */
export async function benchEngineMemory(enginePath: string, dir: string, threads: number, count = 1000, afterGc: { every: number; warmup: number } | null = null): Promise<MemoryFigures> {
  const width = 1024;
  const rank = 8;
  const model = path.join(dir, "memory-1024.gguf");
  await buildTinyLlama({ name: "memory-1024", embeddingLength: width, blockCount: 2, headCount: 4, feedForwardLength: 64, seed: 3 }).write(model);
  const figures = await rssRun(enginePath, model, width, rank, threads, count);
  return { ...figures, afterGc: afterGc == null ? null : await afterGcRun(enginePath, model, width, rank, threads, count, afterGc.every, afterGc.warmup) };
}

/**
 * Adapters served before the after-GC growth is measured from (on top of the 50 every run starts with): the
 * engine's first adapters still grow its pools and caches (the in-place pool up to its 16 adapters, V8's compiled
 * code and its old space), which is start-up, not growth per adapter.
 */
export const ENGINE_MEMORY_WARMUP = 200;

function adapterQuery(engine: EngineClient, model: string, width: number, rank: number, rng: Rng) {
  return () =>
    engine.request("generate", {
      modelPath: model,
      prompt: "Once upon a time",
      maxTokens: 1,
      adapter: { lora: { architecture: "llama", layers: [{ layer: 1, inWidth: width, outWidth: width, rank, a: rng.fillNormal(new Float32Array(width * rank), 0.03), b: rng.fillNormal(new Float32Array(rank * width), 0.03) }] } },
    });
}

/** Memory after full collections every `every` adapters, in an engine started with the bench hook. */
async function afterGcRun(enginePath: string, model: string, width: number, rank: number, threads: number, count: number, every: number, warmup: number): Promise<NonNullable<MemoryFigures["afterGc"]>> {
  const engine = new EngineClient({ enginePath, runtime: { threads, gpu: false }, execArgv: ["--expose-gc"], env: { HAPS_ENGINE_MEMORY_PROBE: "1" } });
  try {
    const query = adapterQuery(engine, model, width, rank, new Rng(3));
    for (let i = 0; i < 50; i++) await query();
    const read = async (adapters: number) => {
      const m = (await (engine.request as (method: string, params: unknown) => Promise<unknown>)("memoryAfterGc", {})) as Record<string, number>;
      return { adapters, rssMiB: m.rssMiB, heapUsedMiB: m.heapUsedMiB, arrayBuffersMiB: m.arrayBuffersMiB, trimmed: m.trimmed };
    };
    const samples = [await read(0)];
    for (let i = 1; i <= count; i++) {
      await query();
      if (i % every === 0) samples.push(await read(i));
    }
    const base = samples.find((s) => s.adapters >= warmup) ?? samples[0];
    const last = samples.at(-1)!;
    return {
      every,
      warmup: base.adapters,
      rssGrowthMiB: last.rssMiB - base.rssMiB,
      heapUsedGrowthMiB: last.heapUsedMiB - base.heapUsedMiB,
      rssGrowthFromStartMiB: last.rssMiB - samples[0].rssMiB,
      samples,
    };
  } finally {
    await engine.dispose();
  }
}

async function rssRun(enginePath: string, model: string, width: number, rank: number, threads: number, count: number): Promise<Omit<MemoryFigures, "afterGc">> {
  const engine = new EngineClient({ enginePath, runtime: { threads, gpu: false } });
  try {
    const query = adapterQuery(engine, model, width, rank, new Rng(3));
    for (let i = 0; i < 50; i++) await query();
    const pid = engine.pid!;
    const rss: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await query();
      times.push(performance.now() - t);
      rss.push(residentMiB(pid));
    }
    return {
      adapters: count,
      adapterKiB: (2 * width * rank * 4) / 1024,
      width,
      growthMiB: median(rss.slice(-100)) - median(rss.slice(0, 100)),
      endToEndMiB: rss.at(-1)! - rss[0],
      secondHalfMiB: median(rss.slice(-100)) - median(rss.slice(Math.floor(count / 2) - 50, Math.floor(count / 2) + 50)),
      swingMiB: Math.max(...rss) - Math.min(...rss),
      queryMs: summarise(times),
    };
  } finally {
    await engine.dispose();
  }
}

export interface SoakFigures {
  routes: number;
  /** Routes in flight at once. */
  concurrency: number;
  config: string;
  routeMs: Summary;
  routesPerSecond: number;
  rssMiB: { start: number; end: number; growthMedianWindows: number; swing: number };
  openFiles: { start: number; end: number; max: number };
  restarts: number;
}

/** `routes` short multiple-choice routes through one engine, `concurrency` at a time, after a warm-up of 20. */
export async function benchSoak(enginePath: string, dir: string, models: DefaultModels, threads: number, routes: number, concurrency: number): Promise<SoakFigures> {
  const configPath = path.join(dir, "soak.json");
  const config = {
    router: { model: models.router.path },
    agents: [
      { id: "teacher", role: "Teacher: reviews the Student's answer." },
      { id: "student", role: "Student: answers the question." },
    ],
    candidates: models.candidates.map((m) => ({ id: m.id, model: m.path })),
    protocol: { maxRounds: 1, formatRetries: 0 },
    maxTokens: 48,
  };
  writeFileSync(configPath, JSON.stringify(config));
  const engine = new EngineClient({ enginePath, runtime: { threads, gpu: false } });
  try {
    const subjects = ["colour", "animal", "number", "food", "tool", "river", "city", "planet"];
    const request = (i: number) => ({ id: `soak-${i}`, question: `Which word names a ${subjects[i % subjects.length]} (query ${i})?`, choices: ["dog", "red", "seven", "bread"], configPath });
    for (let i = 0; i < 20; i++) await engine.request("route", request(i));
    const pid = engine.pid!;
    const rss: number[] = [];
    const files: number[] = [];
    const times: number[] = [];
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < routes) {
        const i = next++;
        const t = performance.now();
        const report = await engine.request("route", request(i));
        if (report.id !== `soak-${i}`) throw new Error(`soak: route ${i} came back as ${report.id}`);
        times.push(performance.now() - t);
        rss.push(residentMiB(pid));
        files.push(openFiles(pid));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const window = Math.max(10, Math.floor(routes / 20));
    return {
      routes,
      concurrency,
      config: "multiple choice, one Student answer, maxTokens 48, no format retries, the embedded models",
      routeMs: summarise(times),
      routesPerSecond: routes / seconds,
      rssMiB: {
        start: rss[0],
        end: rss.at(-1)!,
        growthMedianWindows: median(rss.slice(-window)) - median(rss.slice(0, window)),
        swing: Math.max(...rss) - Math.min(...rss),
      },
      openFiles: { start: files[0], end: files.at(-1)!, max: Math.max(...files) },
      restarts: engine.pid === pid ? 0 : 1,
    };
  } finally {
    await engine.dispose();
  }
}
