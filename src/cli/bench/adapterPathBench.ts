// The per-query adapter path on a model of realistic width, in the runtime's own steps (LoadedModel.withContext):
// generate the adapter, check it against the model, write it, load it, attach it, detach it, free it - each timed
// on its own and summed, then expressed in decoded tokens of that model. Against it, two ways to serve a new adapter
// without the in-place swap: a new context per adapter (node-llama-cpp's public path) and a model reload.
// And the path the engine takes with the native layer: generate, check, write A and B into a pooled adapter in
// place, attach (llama.cpp returns early for the adapter already attached) - no file, load, detach or free.
import { unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeLoraAdapter, validateLoraAdapter } from "../../core/adapters/writeLoraAdapter.ts";
import { readModelShape } from "../../core/gguf/readModelShape.ts";
import { Rng } from "../../core/nn/Rng.ts";
import { HapsPolicy } from "../../core/router/HapsPolicy.ts";
import { checkLoraFits } from "../../core/runtime/checkAdapterFits.ts";
import type { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { LoraPool } from "../../core/runtime/LoraPool.ts";
import { attachLora, detachLoras, freeLora, loadLora } from "../../core/runtime/loraSwap.ts";
import { medianInterval95, scaled, summarise, timeRepeats, type Summary } from "./stats.ts";

const PROMPT = "Which river flows through the city where the Eiffel Tower stands? Answer with one word.";
const DECODED = 32;

export interface AdapterPathFigures {
  models: { router: string; candidate: string; routerWidth: number; candidateOProj: string; candidateBlocks: number };
  adapter: { rank: number; layers: number; kib: number };
  /** The router's mean-pooled feature of the prompt (one prefill of its tokens). */
  routerFeatureMs: Summary;
  promptTokens: number;
  /** Decode time per token on the candidate, plain and with a generated adapter attached. */
  decodeMsPerToken: { plain: Summary; withAdapter: Summary };
  /**
   * Adapted decode speed / plain decode speed (plain ms per token / adapted ms per token): 1 means the adapter costs
   * nothing per token. The median of the ratios of interleaved pairs, so that drift in the machine's load, which
   * moves both runs of a pair alike, cancels.
   */
  adaptedDecodeSpeedRatio: number;
  /** Pairs behind adaptedDecodeSpeedRatio, and the 10th-90th percentiles of their ratios. */
  decodePairs: Summary;
  /** A distribution-free 95 % confidence interval of that median. */
  decodePairsInterval95: [number, number];
  stepsMs: Record<"generate" | "check" | "write" | "load" | "attach" | "detach" | "free", Summary>;
  /** The whole path per query, in ms and in decoded tokens of the candidate. */
  pathMs: Summary;
  pathDecodedTokens: Summary;
  /** Serving a new adapter: the in-place swap (write, load, attach, detach, free), a new context, a model reload. */
  switchMs: Summary;
  newContextMs: Summary;
  reloadMs: Summary;
  newContextOverSwitch: number;
  reloadOverSwitch: number;
  /**
   * The native layer's path (null when the runtime uses the TypeScript path): the steps, the whole path in ms and in
   * decoded tokens, and llama.cpp's share (the in-place write and the attach) against the file path's (write, load,
   * attach, detach, free).
   */
  inPlace: {
    stepsMs: Record<"generate" | "check" | "write" | "attach", Summary>;
    pathMs: Summary;
    pathDecodedTokens: Summary;
    llamaShareMs: Summary;
    fileLlamaShareMs: Summary;
  } | null;
}

export async function benchAdapterPath(runtime: LlamaRuntime, routerPath: string, candidatePath: string, repeats: number): Promise<AdapterPathFigures> {
  const router = await readModelShape(routerPath);
  const shape = await readModelShape(candidatePath);
  const candidate = { id: "candidate", open: true, architecture: shape.architecture, blockCount: shape.blockCount, oProj: shape.oProj };
  const policy = new HapsPolicy({ featureWidth: router.embeddingLength, agents: ["student", "teacher"], candidates: [candidate], rank: 8, lastLayers: 1, hidden: 256, seed: 0 });
  const rng = new Rng(2);

  const routerFeatureMs = await timeRepeats(repeats, () => runtime.embed(routerPath, [PROMPT], "mean"));
  const [feature] = await runtime.embed(routerPath, [PROMPT], "mean");
  // Each query gets a distinct adapter, as distinct problems do: the feature is perturbed a little each time.
  const nextFeature = () => Float32Array.from(feature, (x) => x + 0.05 * rng.normal());
  const adapter = policy.generate(candidate.id, feature)!;

  // Decode per token: a 33-token generation minus a 1-token one (prompt and adapter handling cancel out), with and
  // without the adapter, interleaved so that drift in the machine's load hits both alike. The ratio sought is a few
  // per cent at most, smaller than the spread between runs, hence twice the repeats and a paired statistic.
  const decode = { plain: [] as number[], withAdapter: [] as number[] };
  let promptTokens = 0;
  for (let r = -1; r < 2 * repeats + 1; r++) {
    for (const kind of ["plain", "withAdapter"] as const) {
      const request = { modelPath: candidatePath, prompt: PROMPT, ...(kind === "withAdapter" ? { adapter: { lora: adapter } } : {}) };
      const one = await runtime.generate({ ...request, maxTokens: 1 });
      const many = await runtime.generate({ ...request, maxTokens: DECODED + 1 });
      promptTokens = one.promptTokens;
      if (r >= 0 && many.outputTokens > one.outputTokens) decode[kind].push((many.ms - one.ms) / (many.outputTokens - one.outputTokens));
    }
  }
  const plain = summarise(decode.plain);
  const withAdapter = summarise(decode.withAdapter);
  const pairRatios = summarise(decode.plain.map((p, i) => p / decode.withAdapter[i]));

  const { model } = await runtime.loadModel(candidatePath);
  const file = path.join(os.tmpdir(), `haps-bench-adapter-${process.pid}.gguf`);
  // Both paths in one loop, interleaved so that drift in the machine's load hits them alike; each on a context of its
  // own, so that each finds its context as the engine leaves it (the in-place path: its pooled adapter still
  // attached, which llama.cpp's attach returns early for).
  const filePath = new StepTimes(["generate", "check", "write", "load", "attach", "detach", "free"] as const);
  const inPlacePath = runtime.native.addon == null ? null : new StepTimes(["generate", "check", "write", "attach"] as const);
  const pool = inPlacePath == null ? null : new LoraPool(model, runtime.native, (fn) => fn(), () => path.join(os.tmpdir(), `haps-bench-pool-${process.pid}-${Math.random().toString(36).slice(2)}.gguf`));
  try {
    await runtime.withAdapter(candidatePath, null, ({ context }) =>
      runtime.withAdapter(candidatePath, null, async ({ context: poolContext }) => {
        // Two warm-up rounds: the in-place path's first grows the pool (a load), its second attaches for the first time.
        for (let r = -2; r < repeats; r++) {
          await filePath.time(r >= 0, async (step) => {
            const generated = policy.generate(candidate.id, nextFeature())!;
            step("generate");
            checkLoraFits(generated, candidate.id, model.fileInfo);
            step("check");
            await writeFile(file, encodeLoraAdapter(generated));
            step("write");
            const lora = await loadLora(model, file);
            await unlink(file);
            step("load");
            attachLora(context, lora, 1);
            step("attach");
            detachLoras(context);
            step("detach");
            await freeLora(lora);
            step("free");
          });
          await inPlacePath?.time(r >= 0, async (step) => {
            const generated = policy.generate(candidate.id, nextFeature())!;
            step("generate");
            checkLoraFits(generated, candidate.id, model.fileInfo);
            validateLoraAdapter(generated);
            step("check");
            const pooled = await pool!.take(generated);
            step("write");
            attachLora(poolContext, pooled.lora, 1);
            step("attach");
            pool!.give(pooled);
          });
        }
        detachLoras(poolContext);
      }),
    );
  } finally {
    await pool?.dispose();
  }

  // A new adapter served three ways; each includes writing its file.
  const switchTimes: number[] = [];
  const newContextTimes: number[] = [];
  const reloadTimes: number[] = [];
  await runtime.withAdapter(candidatePath, null, async ({ context }) => {
    for (let r = -1; r < repeats; r++) {
      const generated = policy.generate(candidate.id, nextFeature())!;
      let t = performance.now();
      await writeFile(file, encodeLoraAdapter(generated));
      const lora = await loadLora(model, file);
      attachLora(context, lora, 1);
      detachLoras(context);
      await freeLora(lora);
      if (r >= 0) switchTimes.push(performance.now() - t);
      t = performance.now();
      // node-llama-cpp's public path: a context created with the adapter (it keeps every adapter file it loaded
      // until the model is disposed, so this is only measured a few times).
      const fresh = await model.createContext({ contextSize: 2048, sequences: 1, threads: runtime.threads, failedCreationRemedy: false, lora: { adapters: [{ filePath: file }] } });
      await fresh.dispose();
      if (r >= 0) newContextTimes.push(performance.now() - t);
    }
  });
  for (let r = 0; r < Math.max(3, Math.ceil(repeats / 3)); r++) {
    const t = performance.now();
    const again = await runtime.llama.loadModel({ modelPath: candidatePath, gpuLayers: "auto" });
    const ctx = await again.createContext({ contextSize: 2048, sequences: 1, threads: runtime.threads, failedCreationRemedy: false, lora: { adapters: [{ filePath: file }] } });
    await ctx.dispose();
    await again.dispose();
    reloadTimes.push(performance.now() - t);
  }
  await unlink(file).catch(() => {});

  const steps = filePath.steps;
  const totals = filePath.totals;
  let inPlace: AdapterPathFigures["inPlace"] = null;
  if (inPlacePath != null) {
    const inSteps = inPlacePath.steps;
    const inPathMs = summarise(inPlacePath.totals);
    inPlace = {
      stepsMs: Object.fromEntries(Object.entries(inSteps).map(([k, v]) => [k, summarise(v as number[])])) as NonNullable<AdapterPathFigures["inPlace"]>["stepsMs"],
      pathMs: inPathMs,
      pathDecodedTokens: scaled(inPathMs, plain.median),
      llamaShareMs: summarise(inSteps.write.map((w, i) => w + inSteps.attach[i])),
      fileLlamaShareMs: summarise(steps.write.map((w, i) => w + steps.load[i] + steps.attach[i] + steps.detach[i] + steps.free[i])),
    };
  }

  const pathMs = summarise(totals);
  const switchMs = summarise(switchTimes);
  const newContextMs = summarise(newContextTimes);
  const reloadMs = summarise(reloadTimes);
  const last = adapter.layers[0];
  return {
    models: {
      router: path.basename(routerPath),
      candidate: path.basename(candidatePath),
      routerWidth: router.embeddingLength,
      candidateOProj: `${last.inWidth} -> ${last.outWidth} (layer ${last.layer})`,
      candidateBlocks: shape.blockCount,
    },
    adapter: { rank: last.rank, layers: adapter.layers.length, kib: (adapter.layers.reduce((n, l) => n + l.a.length + l.b.length, 0) * 4) / 1024 },
    routerFeatureMs,
    promptTokens,
    decodeMsPerToken: { plain, withAdapter },
    adaptedDecodeSpeedRatio: pairRatios.median,
    decodePairs: pairRatios,
    decodePairsInterval95: medianInterval95(decode.plain.map((p, i) => p / decode.withAdapter[i])),
    stepsMs: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summarise(v as number[])])) as AdapterPathFigures["stepsMs"],
    pathMs,
    pathDecodedTokens: scaled(pathMs, plain.median),
    switchMs,
    newContextMs,
    reloadMs,
    newContextOverSwitch: newContextMs.median / switchMs.median,
    reloadOverSwitch: reloadMs.median / switchMs.median,
    inPlace,
  };
}

/** Per-step times of a path run many times: `time` runs it once, `step(name)` closes the step that ends there. */
class StepTimes<K extends string> {
  readonly steps: Record<K, number[]>;
  /** Each kept run's steps summed. */
  readonly totals: number[] = [];

  constructor(names: readonly K[]) {
    this.steps = Object.fromEntries(names.map((name) => [name, []])) as unknown as Record<K, number[]>;
  }

  /** Runs `run` once; a run with `keep` false is a warm-up and is not recorded. */
  async time(keep: boolean, run: (step: (name: K) => void) => Promise<void>): Promise<void> {
    const times = new Map<K, number>();
    let t = performance.now();
    await run((name) => {
      const now = performance.now();
      times.set(name, now - t);
      t = now;
    });
    if (!keep) return;
    let total = 0;
    for (const [name, ms] of times) {
      this.steps[name].push(ms);
      total += ms;
    }
    this.totals.push(total);
  }
}
