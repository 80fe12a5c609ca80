// The per-query adapter path on a model of realistic width, in the runtime's own steps (LoadedModel.withContext):
// generate the adapter, check it against the model, write it, load it, attach it, detach it, free it - each timed
// on its own and summed, then expressed in decoded tokens of that model. Against it, two ways to serve a new adapter
// without the in-place swap: a new context per adapter (node-llama-cpp's public path) and a model reload.
import { unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeLoraAdapter } from "../../core/adapters/writeLoraAdapter.ts";
import { readModelShape } from "../../core/gguf/readModelShape.ts";
import { Rng } from "../../core/nn/Rng.ts";
import { HapsPolicy } from "../../core/router/HapsPolicy.ts";
import { checkLoraFits } from "../../core/runtime/checkAdapterFits.ts";
import type { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { attachLora, detachLoras, freeLora, loadLora } from "../../core/runtime/loraSwap.ts";
import { scaled, summarise, timeRepeats, type Summary } from "./stats.ts";

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

  const steps = { generate: [], check: [], write: [], load: [], attach: [], detach: [], free: [] } as Record<keyof AdapterPathFigures["stepsMs"], number[]>;
  const totals: number[] = [];
  const file = path.join(os.tmpdir(), `haps-bench-adapter-${process.pid}.gguf`);
  const { model } = await runtime.loadModel(candidatePath);
  const switchTimes: number[] = [];
  const newContextTimes: number[] = [];
  const reloadTimes: number[] = [];
  await runtime.withAdapter(candidatePath, null, async ({ context }) => {
    for (let r = -1; r < repeats; r++) {
      const times: Partial<Record<keyof typeof steps, number>> = {};
      let t = performance.now();
      const step = (name: keyof typeof steps) => {
        const now = performance.now();
        times[name] = now - t;
        t = now;
      };
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
      if (r < 0) continue;
      for (const [name, ms] of Object.entries(times)) steps[name as keyof typeof steps].push(ms);
      totals.push(Object.values(times).reduce((a, b) => a + b, 0));
    }
    // A new adapter served three ways; each includes writing its file.
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
    stepsMs: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, summarise(v)])) as AdapterPathFigures["stepsMs"],
    pathMs,
    pathDecodedTokens: scaled(pathMs, plain.median),
    switchMs,
    newContextMs,
    reloadMs,
    newContextOverSwitch: newContextMs.median / switchMs.median,
    reloadOverSwitch: reloadMs.median / switchMs.median,
  };
}
