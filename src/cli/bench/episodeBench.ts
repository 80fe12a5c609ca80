// Episode-level speed: how much of each agent's prompts its KV cache saves (sessions keep an agent's tokens between
// its turns), and the throughput of a bucketed evaluation (every item routed first, episodes grouped by the routed
// models and run on concurrent contexts) against one episode at a time, at the thread settings tried.
import path from "node:path";
import { performance as nodePerformance } from "node:perf_hooks";
import { writeKeywordBenchmark } from "../../core/benchmark/keywordBenchmark.ts";
import { loadHapsConfig } from "../../core/config/HapsConfig.ts";
import { HapsPipeline } from "../../core/episode/HapsPipeline.ts";
import type { EpisodeReport } from "../../core/episode/types.ts";
import { CostNormalizer } from "../../core/metrics/index.ts";
import { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { evaluateRouter } from "../../core/training/evaluateRouter.ts";

export interface KvReuseFigures {
  episodes: number;
  /** Prompt and output tokens the agents were shown and wrote, over all turns (what cost is counted on). */
  transcriptTokens: number;
  /** Tokens llama.cpp evaluated: prompt tokens not in the agent's cache, plus outputs. */
  evaluatedTokens: number;
  /** Per agent: its last prompt and all it wrote - the dialogue as one growing text would hold it. */
  finalTranscriptTokens: number;
  /** evaluated / final transcript (goal <= 1.3); evaluated / all prompts shown. */
  evaluatedOverFinal: number;
  evaluatedOverShown: number;
}

export interface BucketedFigures {
  items: number;
  /**
   * Items per second: one episode at a time, and bucketed on 2-4 concurrent episodes, per thread setting; the best of
   * `rounds` runs each, the settings interleaved, so that other work on the machine hits them alike. `cores`: the
   * process's CPU time over the wall time of that run (2 would be both cores of this machine); `mainThread`: the event
   * loop's utilisation (JavaScript and native calls on the main thread, which concurrent episodes share).
   */
  runs: { threadsPerContext: number; concurrency: number; itemsPerSecond: number; seconds: number; cores: number; mainThread: number }[];
  rounds: number;
  speedup: number;
  best: string;
}

/** Search-QA episodes on the embedded models, with each agent's cache kept between its turns. */
export async function benchKvReuse(pipeline: HapsPipeline, episodes: number): Promise<KvReuseFigures> {
  const reports: EpisodeReport[] = [];
  const questions = ["Which river flows through the capital of France?", "Who designed the tower in Paris?", "Which city is the capital of France?"];
  for (let i = 0; i < episodes; i++) {
    reports.push(
      await pipeline.run({
        question: questions[i % questions.length],
        context: [
          { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through it."] },
          { title: "Eiffel Tower", sentences: ["The Eiffel Tower was designed by the company of Gustave Eiffel."] },
          { title: "Lyon", sentences: ["Lyon lies on the Rhone."] },
        ],
      }),
    );
  }
  let shown = 0;
  let evaluated = 0;
  let final = 0;
  for (const r of reports) {
    for (const t of r.transcript) {
      shown += t.promptTokens + t.outputTokens;
      evaluated += t.promptTokens - t.cachedTokens + t.outputTokens;
    }
    for (const role of ["student", "teacher"]) {
      const turns = r.transcript.filter((t) => t.role === role);
      if (turns.length === 0) continue;
      // The last call's prompt (a turn's last generation) and every output the agent wrote.
      const last = turns.at(-1)!;
      final += Math.round(last.promptTokens / last.calls) + turns.reduce((n, t) => n + t.outputTokens, 0);
    }
  }
  return { episodes, transcriptTokens: shown, evaluatedTokens: evaluated, finalTranscriptTokens: final, evaluatedOverFinal: evaluated / final, evaluatedOverShown: evaluated / shown };
}

/**
 * A 100-item evaluation on the keyword benchmark's models, one episode at a time and bucketed with 2, 3 and 4 episodes
 * at once at 1 thread per context, and with 2 at once at 2 threads per context (more would put 6-8 busy threads on
 * the cores this machine has); `rounds` times each, interleaved (the best run counts). Why more episodes than cores: on
 * these small models an episode's decodes are short and each waits on the main thread between tokens, so 2 episodes
 * leave the cores partly idle.
 */
export async function benchBucketed(scratch: string, items = 100, rounds = 2): Promise<BucketedFigures> {
  const benchmark = await writeKeywordBenchmark(path.join(scratch, "keyword"));
  const config = await loadHapsConfig(benchmark.configFile);
  const runs: BucketedFigures["runs"] = [];
  for (const [threads, concurrencies] of [[1, [1, 2, 3, 4]], [2, [1, 2]]] as const) {
    const runtime = await LlamaRuntime.create({ threads, gpu: false });
    try {
      const pipeline = await HapsPipeline.create(runtime, config);
      const queries = [];
      for (const item of benchmark.items.slice(0, items)) queries.push(await pipeline.prepare({ id: item.id, question: item.question, choices: item.choices, gold: item.answer }));
      const normalizer = new CostNormalizer().fit([0, 1e-4]);
      await evaluateRouter(pipeline, queries.slice(0, 4), { alpha: 0, adapters: "generated", normalizer }); // warm-up
      for (let round = 0; round < rounds; round++) {
        for (const concurrency of concurrencies) {
          const cpu = process.cpuUsage();
          const loop = nodePerformance.eventLoopUtilization();
          const t = performance.now();
          await evaluateRouter(pipeline, queries, { alpha: 0, adapters: "generated", normalizer, concurrency });
          const seconds = (performance.now() - t) / 1000;
          const used = process.cpuUsage(cpu);
          const run = { threadsPerContext: threads, concurrency, itemsPerSecond: queries.length / seconds, seconds, cores: (used.user + used.system) / 1e6 / seconds, mainThread: nodePerformance.eventLoopUtilization(loop).utilization };
          const at = runs.findIndex((r) => r.threadsPerContext === threads && r.concurrency === concurrency);
          if (at < 0) runs.push(run);
          else if (run.itemsPerSecond > runs[at].itemsPerSecond) runs[at] = run;
        }
      }
    } finally {
      await runtime.dispose();
    }
  }
  const sequential = runs.find((r) => r.threadsPerContext === 1 && r.concurrency === 1)!;
  const best = runs.reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
  return { items, runs, rounds, speedup: best.itemsPerSecond / sequential.itemsPerSecond, best: `${best.concurrency} episodes at once x ${best.threadsPerContext} thread(s) per context` };
}
