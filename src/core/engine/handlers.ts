// The engine's methods, as plain async functions over one LlamaRuntime. The same handlers serve the extension's
// supervised child process (engineMain.ts) and the CLI in-process.
import { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { RuntimeOptions } from "../runtime/types.ts";
import { defaultCacheDir, ensureDefaultModels } from "../models/defaultModels.ts";
import type { HapsPipeline } from "../episode/HapsPipeline.ts";
import { openPipeline } from "../episode/openPipeline.ts";
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
    async dispose() {
      pipelines.clear();
      if (runtime != null) await (await runtime.catch(() => null))?.dispose();
      runtime = null;
    },
  };
}
