// `npm run bench`: speed and memory figures of the per-query path, written to a file (never asserted in tests).
import { mkdir, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeLoraAdapter } from "../core/adapters/writeLoraAdapter.ts";
import { openPipeline } from "../core/episode/openPipeline.ts";
import { Rng } from "../core/nn/Rng.ts";
import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: values.length, median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

export async function runBench(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, { out: { type: "string" }, queries: { type: "string" } });
  const queries = typeof values.queries === "string" ? Number(values.queries) : 300;
  if (!Number.isInteger(queries) || queries < 10) throw new Error(`--queries: expected an integer >= 10, got "${values.queries}"`);
  const out = typeof values.out === "string" ? values.out : path.join("bench", "latest.json");
  const { runtime, pipeline } = await openPipeline(runtimeOptionsFrom(values));
  const dir = await mkdtemp(path.join(os.tmpdir(), "haps-bench-"));
  try {
    const info = await runtime.info();
    const rng = new Rng(1);
    const featureWidth = pipeline.policy.config.featureWidth;
    const perCandidate: Record<string, unknown> = {};
    for (const c of pipeline.config.candidates.filter((x) => x.open)) {
      const generate: number[] = [];
      const write: number[] = [];
      const query: number[] = [];
      let rssAfterWarmup = 0;
      let heapAfterWarmup = 0;
      for (let i = 0; i < queries + 50; i++) {
        if (i === 50) {
          global.gc?.();
          rssAfterWarmup = process.memoryUsage().rss;
          heapAfterWarmup = process.memoryUsage().heapUsed;
        }
        const feature = rng.fillNormal(new Float32Array(featureWidth));
        let t = performance.now();
        const adapter = pipeline.policy.generate(c.id, feature)!;
        const tGenerate = performance.now() - t;
        const file = path.join(dir, `${c.id}-${i}.gguf`);
        t = performance.now();
        await writeLoraAdapter(file, adapter);
        const tWrite = performance.now() - t;
        t = performance.now();
        // Check, load, attach, evaluate the prompt, detach, free.
        await runtime.nextTokenProbabilities(c.model, "Which river flows through Paris?", { path: file, scale: pipeline.config.generator.scale });
        const tQuery = performance.now() - t;
        await unlink(file);
        if (i >= 50) {
          generate.push(tGenerate);
          write.push(tWrite);
          query.push(tQuery);
        }
      }
      global.gc?.();
      const t0 = performance.now();
      await runtime.nextTokenProbabilities(c.model, "Which river flows through Paris?");
      const baseMs = performance.now() - t0;
      perCandidate[c.id] = {
        generateAdapterMs: summary(generate),
        writeAdapterMs: summary(write),
        queryWithAdapterMs: summary(query),
        queryWithoutAdapterMs: baseMs,
        // RSS includes V8's heap high-water mark (the generator's arrays); heapUsed tells the two apart.
        rssGrowthMiB: (process.memoryUsage().rss - rssAfterWarmup) / 2 ** 20,
        heapUsedGrowthMiB: (process.memoryUsage().heapUsed - heapAfterWarmup) / 2 ** 20,
      };
      console.log(c.id, JSON.stringify(perCandidate[c.id]));
    }
    const episodes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const report = await pipeline.run({
        question: "Which river flows through the capital of France?",
        context: [
          { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through it."] },
          { title: "Lyon", sentences: ["Lyon lies on the Rhone."] },
        ],
      });
      episodes.push(report.timings.totalMs);
    }
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: os.totalmem() / 2 ** 30, platform: `${process.platform}-${process.arch}` },
      runtime: { backend: info.backend, threads: info.threads, nodeLlamaCpp: info.nodeLlamaCppVersion },
      queriesPerCandidate: queries,
      perCandidate,
      searchQaEpisodeMs: summary(episodes),
    };
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${out}`);
    return 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await runtime.dispose();
  }
}
