// `npm run bench`: speed and memory figures of the per-query path, written to a file (never asserted in tests).
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { existsSync } from "node:fs";
import { buildRoutingPrompt } from "../core/router/RoutingPrompt.ts";
import type { HapsPipeline } from "../core/episode/HapsPipeline.ts";
import type { LlamaRuntime } from "../core/runtime/LlamaRuntime.ts";
import { openPipeline } from "../core/episode/openPipeline.ts";
import { Rng } from "../core/nn/Rng.ts";
import type { CliCommand } from "./CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: values.length, median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1] };
}

export const benchCommand: CliCommand = {
  name: "bench",
  summary: "speed and memory figures of the per-query path, written to bench/latest.json and bench/latest.md",
  usage: "haps bench [--out FILE] [--queries N]",
  run: runBench,
};

async function runBench(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, { out: { type: "string" }, queries: { type: "string" } });
  const queries = typeof values.queries === "string" ? Number(values.queries) : 300;
  if (!Number.isInteger(queries) || queries < 10) throw new Error(`--queries: expected an integer >= 10, got "${values.queries}"`);
  const out = typeof values.out === "string" ? values.out : path.join("bench", "latest.json");
  const { runtime, pipeline } = await openPipeline(runtimeOptionsFrom(values));
  try {
    const info = await runtime.info();
    const rng = new Rng(1);
    const featureWidth = pipeline.policy.config.featureWidth;
    const perCandidate: Record<string, unknown> = {};
    for (const c of pipeline.config.candidates.filter((x) => x.open)) {
      const generate: number[] = [];
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
        // Check, write, load, attach, evaluate the prompt, detach, free.
        t = performance.now();
        await runtime.nextTokenProbabilities(c.model, "Which river flows through Paris?", { lora: adapter, scale: pipeline.config.generator.scale });
        const tQuery = performance.now() - t;
        if (i >= 50) {
          generate.push(tGenerate);
          query.push(tQuery);
        }
      }
      global.gc?.();
      const t0 = performance.now();
      await runtime.nextTokenProbabilities(c.model, "Which river flows through Paris?");
      const baseMs = performance.now() - t0;
      perCandidate[c.id] = {
        generateAdapterMs: summary(generate),
        /** Check against the model, write, load, attach, evaluate the prompt, detach and free. */
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
    const pooling = await poolingShares(runtime, pipeline);
    console.log("backbone pooling", JSON.stringify(pooling));
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: os.totalmem() / 2 ** 30, platform: `${process.platform}-${process.arch}` },
      runtime: { backend: info.backend, threads: info.threads, nodeLlamaCpp: info.nodeLlamaCppVersion },
      queriesPerCandidate: queries,
      perCandidate,
      searchQaEpisodeMs: summary(episodes),
      /** Share of the RMS-normalised routing feature's energy that varies with the problem (20 questions). */
      backbonePoolingProblemShare: pooling,
    };
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${out}`);
    return 0;
  } finally {
    await runtime.dispose();
  }
}

const poolingQuestions = [
  "Which river flows through the capital of France?",
  "Who wrote the novel that the film Blade Runner is based on?",
  "Are the Matterhorn and Mont Blanc in the same country?",
  "What year was the university attended by the author of Dracula founded?",
  "Which band released an album named after a London street?",
  "Is the Danube longer than the Rhine?",
  "Who directed the first film shot in the Sahara desert?",
  "What is the population of the town where Mozart was born?",
  "Which element was discovered by the scientist born in Warsaw?",
  "What instrument did the composer of the Four Seasons play?",
  "Which team won the first World Cup held in South America?",
  "When did the bridge over the Golden Gate strait open?",
  "Who founded the company that makes the iPhone?",
  "Which planet did the Cassini probe study?",
  "What language is spoken in the country north of Portugal?",
  "Which mountain range separates Europe from Asia?",
  "Who painted the ceiling of the Sistine Chapel?",
  "Which ocean lies west of Chile?",
  "What is the capital of the country that hosted the 2008 Olympics?",
  "Which author created the detective who lived on Baker Street?",
];

/** Mean vs last-token pooling: how much of the backbone feature depends on the problem (see Backbone.ts). */
async function poolingShares(runtime: LlamaRuntime, pipeline: HapsPipeline): Promise<Record<string, { mean: number; last: number }>> {
  const models: Record<string, string> = { "embedded router": pipeline.config.router.model };
  for (const name of ["stories260K", "llama-2-tiny-random"]) {
    const file = path.resolve("../shared/models", `${name}.gguf`);
    if (existsSync(file)) models[name] = file;
  }
  const result: Record<string, { mean: number; last: number }> = {};
  for (const [name, file] of Object.entries(models)) {
    const share = async (pooling: "mean" | "last") => {
      const prompts = poolingQuestions.map((q) =>
        buildRoutingPrompt(pipeline.config.agents, pipeline.config.tasks["search-qa"], { question: q }, pipeline.config.candidates),
      );
      const features = (await runtime.embed(file, prompts, pooling)).map((f) => {
        const rms = Math.sqrt(f.reduce((a, x) => a + x * x, 0) / f.length) || 1;
        return f.map((x) => x / rms);
      });
      const width = features[0].length;
      let variance = 0;
      for (let k = 0; k < width; k++) {
        const mean = features.reduce((a, f) => a + f[k], 0) / features.length;
        variance += features.reduce((a, f) => a + (f[k] - mean) ** 2, 0) / features.length;
      }
      return variance / width;
    };
    result[name] = { mean: await share("mean"), last: await share("last") };
  }
  return result;
}
