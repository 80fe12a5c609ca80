// The one protocol between the engine and whoever drives it (the extension's supervised child process, or the CLI
// in-process). Everything here is plain, structured-cloneable data: requests in, results out, streaming as events,
// cancellation as a message.
import type { EpisodeEvent, EpisodeReport, EpisodeRequest } from "../episode/types.ts";
import type { EvaluationOutcome } from "../evaluation/types.ts";
import type { DownloadModelsParams, DownloadModelsResult, ModelDownloadEvent } from "../download/downloadModels.ts";
import type { HostApiKeys, HostEvents, HostMethod } from "../host/types.ts";
import type { GenerateRequest, GenerateResult, RuntimeInfo, RuntimeOptions } from "../runtime/types.ts";
import type { TrainingProgress } from "../training/progress.ts";
import type { TrainingSummary } from "../training/Trainer.ts";

/** Method name -> [params, result]. Both sides are checked against this map by the compiler. */
export interface EngineMethods {
  /** Starts llama.cpp (once) and reports backend, devices, threads and loaded models. */
  runtimeInfo: [{ loadDefaultModels?: boolean }, RuntimeInfo];
  /** Generates text; tokens stream as `token` events with the request id. */
  generate: [GenerateRequest, GenerateResult];
  /**
   * One routed episode; its progress streams as `episode` events. The models come from `configPath` (a file), or
   * `config` (the same object inline, validated with parseHapsConfig; relative paths resolve against the engine's
   * working directory), or, with neither, the embedded models.
   */
  route: [EpisodeRequest & { configPath?: string; config?: unknown }, EpisodeReport];
  /**
   * `haps train`: a training spec from `specPath` (a file) or `spec` (the object; its relative paths resolve against
   * `baseDir`, which defaults to the engine's working directory). Progress streams as `progress` events; cancelling
   * stops it (the request then rejects with an AbortError) and a later request with the same spec resumes where it
   * stopped.
   */
  train: [{ specPath?: string; spec?: unknown; baseDir?: string }, TrainingSummary];
  /**
   * `haps eval`: an evaluation spec from `specPath` or `spec` (as for `train`), results.json, report.md and the SVG
   * charts written into `outDir` (relative: against the engine's working directory). Progress streams as `progress`
   * events; cancelling stops it (AbortError), and the same request again resumes from the work folder.
   */
  evaluate: [{ specPath?: string; spec?: unknown; baseDir?: string; outDir: string }, EvaluationOutcome];
  /**
   * Downloads the URI model settings (`hf:...`, `https://...`) of a configuration (`configPath` or `config`, as for
   * `route`) or of `uris`, into the engine's model cache (`<cache>/models`, where `route` finds them). Files already
   * there are checked, not fetched again. Progress streams as `download` events; cancelling stops it (AbortError) and
   * keeps partial files, which the next request resumes. With `dryRun`, nothing is fetched: the result lists what is
   * there and what is missing.
   */
  downloadModels: [DownloadModelsParams, DownloadModelsResult];
  /**
   * Token counts of `texts` in the tokens of the router model of a configuration (`configPath` or `config`, as for
   * `route`; the embedded models without either): the model that reads every query. No BOS is counted.
   */
  countTokens: [{ configPath?: string; config?: unknown; texts: string[] }, { model: string; counts: number[] }];
}
export type EngineMethod = keyof EngineMethods;
export type ParamsOf<M extends EngineMethod> = EngineMethods[M][0];
export type ResultOf<M extends EngineMethod> = EngineMethods[M][1];

/** Events the engine emits while a request runs. */
export interface EngineEvents {
  token: { text: string };
  log: { level: string; message: string };
  episode: EpisodeEvent;
  /** Training and evaluation progress (`train`, `evaluate`). */
  progress: TrainingProgress;
  /** Model downloads (`downloadModels`): a file starts, progresses or is done. */
  download: ModelDownloadEvent;
}

/**
 * The channel: JSON-RPC (vscode-jsonrpc) over the child process's IPC channel. Each engine method is a request of the
 * same name whose params are `{ params, progressToken }`; the events of that request come back as `$/progress` on
 * its token (EVENT_PROGRESS); cancelling it is JSON-RPC's `$/cancelRequest`, and the request then settles with the
 * engine's own answer. A handler's error is a ResponseError whose `data` is an ErrorData. Host calls go the other
 * way as `host/<method>` requests, shaped the same (HOST_EVENT_PROGRESS for their events).
 */
export interface EngineRequestParams<P = unknown> {
  params: P;
  progressToken: string;
}

/** Parent -> engine notifications. */
export const ENGINE_NOTIFICATIONS = {
  /** First: the runtime options, the host calls the parent answers, the API keys for openai candidates. */
  init: "engine/init",
  /** The parent's API keys changed: all of them, replacing the earlier ones. */
  apiKeys: "engine/apiKeys",
  shutdown: "engine/shutdown",
  /** Engine -> parent: a llama.cpp log line (not tied to a request). */
  log: "engine/log",
} as const;

export interface EngineInit {
  options: RuntimeOptions;
  hostMethods?: HostMethod[];
  apiKeys?: HostApiKeys;
}

/** A request's event, as its progress value. */
export interface EngineEventMessage {
  event: keyof EngineEvents;
  data: unknown;
}

/** A host call's event, as its progress value. */
export interface HostEventMessage {
  event: keyof HostEvents;
  data: unknown;
}

/** The JSON-RPC method of a host call. */
export const hostRequestMethod = (method: HostMethod) => `host/${method}`;

/** An error as it crosses the process boundary. */
export interface ErrorData {
  message: string;
  name?: string;
  stack?: string;
}

/** A handler the engine process calls for each method; `emit` streams events for that request. */
export type EngineHandlers = {
  [M in EngineMethod]: (
    params: ParamsOf<M>,
    ctx: { signal: AbortSignal; emit: <E extends keyof EngineEvents>(event: E, data: EngineEvents[E]) => void },
  ) => Promise<ResultOf<M>>;
};
