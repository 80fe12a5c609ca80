// The engine's methods, as plain async functions over one LlamaRuntime. The same handlers serve the extension's
// supervised child process (engineMain.ts) and the CLI in-process.
import path from "node:path";
import { defaultConfig } from "../config/defaultConfig.ts";
import { loadHapsConfig, parseHapsConfig } from "../config/HapsConfig.ts";
import { downloadModels } from "../download/downloadModels.ts";
import { modelCacheDir } from "../download/modelCache.ts";
import { configModelUris } from "../download/resolveConfigModels.ts";
import { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { RuntimeOptions } from "../runtime/types.ts";
import { defaultCacheDir, ensureDefaultModels } from "../models/defaultModels.ts";
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import { openPipeline } from "../episode/openPipeline.ts";
import { loadEvalSpec, parseEvalSpec } from "../evaluation/EvalSpec.ts";
import { runEvaluation } from "../evaluation/runEvaluation.ts";
import { runTraining } from "../training/Trainer.ts";
import { loadTrainSpec, parseTrainSpec } from "../training/TrainSpec.ts";
import { checkEpisodeRequest } from "./checkEpisodeRequest.ts";
import type { EngineHandlers } from "./protocol.ts";

export interface EngineOptions extends RuntimeOptions {
  /** Where the embedded default models are generated. Defaults to `defaultCacheDir()`. */
  cacheDir?: string;
}

export function createEngineHandlers(options: EngineOptions): EngineHandlers & { dispose(): Promise<void> } {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  // The first run generates the embedded models: say so, through the same log as llama.cpp's lines.
  const defaultModels = () => ensureDefaultModels(cacheDir, { onGenerate: (message) => options.onLog?.("info", message) });
  let runtime: Promise<LlamaRuntime> | null = null;
  const getRuntime = () => {
    runtime ??= LlamaRuntime.create(options);
    runtime.catch(() => (runtime = null));
    return runtime;
  };
  // One pipeline per configuration file or inline configuration (null: the embedded models), built on first use and kept.
  const pipelines = new Map<string | null, Promise<HapsPipeline>>();
  const getPipeline = (configPath: string | undefined, config: unknown) => {
    if (configPath != null && config != null) throw new Error("route: give configPath or config, not both");
    const key = configPath != null ? `file:${configPath}` : config != null ? `inline:${JSON.stringify(config)}` : null;
    let pipeline = pipelines.get(key);
    if (pipeline == null) {
      pipeline = getRuntime().then(async (runtime) => {
        if (configPath == null && config == null) await defaultModels();
        return (await openPipeline({ runtime, configPath, config, cacheDir })).pipeline;
      });
      pipelines.set(key, pipeline);
      pipeline.catch(() => pipelines.delete(key));
    }
    return pipeline;
  };
  return {
    async runtimeInfo(params) {
      const rt = await getRuntime();
      if (params.loadDefaultModels) {
        const models = await defaultModels();
        for (const m of [models.router, ...models.candidates]) await rt.loadModel(m.path);
      }
      return await rt.info();
    },
    async generate(params, { signal, emit }) {
      const rt = await getRuntime();
      return await rt.generate(params, { signal, onText: (text) => emit("token", { text }) });
    },
    async route({ configPath, config, ...request }, { signal, emit }) {
      const pipeline = await getPipeline(configPath, config);
      await checkEpisodeRequest(await getRuntime(), pipeline.config, request);
      return await pipeline.run(request, { signal, onEvent: (event) => emit("episode", event) });
    },
    async train({ specPath, spec, baseDir }, { signal, emit }) {
      const parsed = await specFrom("train", specPath, spec, baseDir, loadTrainSpec, parseTrainSpec);
      // The embedded models of this engine's cache folder, not of the process's default one.
      parsed.config ??= defaultConfig(await defaultModels());
      return await runTraining(parsed, {
        runtime: await getRuntime(),
        signal,
        onProgress: (p) => emit("progress", p),
        log: (message) => emit("log", { level: "info", message }),
      });
    },
    async evaluate({ specPath, spec, baseDir, outDir }, { signal, emit }) {
      if (typeof outDir !== "string" || outDir.length === 0) throw new Error("evaluate: outDir (the output folder) is required");
      const parsed = await specFrom("evaluate", specPath, spec, baseDir, loadEvalSpec, parseEvalSpec);
      if (parsed.benchmark == null) parsed.config ??= defaultConfig(await defaultModels());
      return await runEvaluation(parsed, {
        outDir: path.resolve(outDir),
        runtime: await getRuntime(),
        signal,
        onProgress: (p) => emit("progress", p),
        log: (message) => emit("log", { level: "info", message }),
      });
    },
    async downloadModels({ configPath, config, uris = [], dryRun }, { signal, emit }) {
      if (configPath != null && config != null) throw new Error("downloadModels: give configPath or config, not both");
      const parsed = configPath != null ? await loadHapsConfig(configPath) : config != null ? parseHapsConfig(config, "inline configuration", process.cwd()) : null;
      const wanted = [...uris, ...(parsed == null ? [] : configModelUris(parsed))];
      // The folder openPipeline resolves URIs in, so that the next route finds what was fetched here.
      return await downloadModels(wanted, { dir: modelCacheDir(cacheDir), dryRun, signal, onEvent: (event) => emit("download", event) });
    },
    async countTokens({ configPath, config, texts }) {
      if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new Error("countTokens: texts must be an array of strings");
      const router = (await getPipeline(configPath, config)).config.router.model;
      const loaded = await (await getRuntime()).loadModel(router);
      return { model: path.basename(router), counts: texts.map((text) => loaded.model.tokenize(text).length) };
    },
    async dispose() {
      pipelines.clear();
      if (runtime != null) await (await runtime.catch(() => null))?.dispose();
      runtime = null;
    },
  };
}

/** A spec from a file or inline (relative paths against `baseDir`, else the working directory), never both. */
async function specFrom<T>(
  method: string,
  specPath: string | undefined,
  spec: unknown,
  baseDir: string | undefined,
  load: (file: string) => Promise<T>,
  parse: (raw: unknown, source: string, baseDir: string) => Promise<T>,
): Promise<T> {
  if (specPath != null && spec != null) throw new Error(`${method}: give specPath or spec, not both`);
  if (specPath != null) return await load(path.resolve(specPath));
  if (spec == null) throw new Error(`${method}: give specPath (a spec file) or spec (the spec itself)`);
  return await parse(spec, `inline ${method} spec`, path.resolve(baseDir ?? "."));
}
