// The one owner of llama.cpp: a single `Llama` instance, a registry of loaded models, and the operations the engine
// needs (generation, embeddings, next-token probabilities), each optionally with a per-query LoRA adapter.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { LRUCache } from "lru-cache";
import type { Llama, LlamaEmbeddingContext, LlamaGrammar, LlamaModel, Token } from "node-llama-cpp";
import { NativeLayer } from "../native/nativeLayer.ts";
import { kernelThreads } from "../nn/kernels/KernelThreads.ts";
import { checkModelFile, ModelFileError } from "./checkModelFile.ts";
import { describeOffload } from "./describeOffload.ts";
import { JsonSchemaError } from "./JsonSchemaError.ts";
import { LoadedModel, type ContextLease, type ModelSession } from "./LoadedModel.ts";
import { choiceProbabilities, choiceReads } from "./choiceProbabilities.ts";
import { PrefixSequence } from "./PrefixSequence.ts";
import { LayerInputSequence } from "./LayerInputSequence.ts";
import { RoutingSequence } from "./RoutingSequence.ts";
import { PromptTooLongError } from "./PromptTooLongError.ts";
import type { AdapterSource, GenerateRequest, GenerateResult, LoadedModelInfo, RuntimeInfo, RuntimeOptions } from "./types.ts";
import { usableContextSize } from "./contextSize.ts";
import { CallsUnderWay } from "./CallsUnderWay.ts";

type NodeLlamaCpp = typeof import("node-llama-cpp");

/** The router's reads inside one `LlamaRuntime.routingPass`. */
export interface RoutingPass {
  /**
   * The pooled feature of `prefix + rest`; afterwards the sequence holds that text. `ahead`: the decisions `choose` will
   * read next (texts extending it, each followed by one of the choices); where the feature allows (the layer-input
   * feature pools only the query's rows) what they read is decoded in the query's own batch. It never changes the feature.
   */
  feature(prefix: string, rest: string, ahead?: ReadAhead): Promise<number[]>;
  /**
   * The constrained probabilities of `choices` (each followed by `terminator`) as the continuation of `prefix`.
   * `ahead`: texts extending `prefix` after which the same choices will be read next (decoded in the same batch where
   * they extend this read's; they change no figure).
   */
  choose(prefix: string, choices: string[], terminator?: string, ahead?: readonly string[]): Promise<number[]>;
}

/** Decisions to be read after the current one: each text followed by one of `choices` and `terminator`. */
export interface ReadAhead {
  texts: readonly string[];
  choices: readonly string[];
  terminator: string;
}

/** Extra options of one model load. */
export interface LoadOptions {
  /** Pooling used by embeddings from this load. `"mean"` overrides the file's pooling type. Defaults to the file's. */
  pooling?: "mean" | "last";
}

/** A GPU backend asked for by name (`--gpu`, the `haps.gpu` setting) that this machine cannot run. */
export class GpuBackendError extends Error {
  override name = "GpuBackendError";
  constructor(
    readonly backend: string,
    reason: string,
  ) {
    super(
      `GPU backend "${backend}" is not available on this machine (${reason}). ` +
        `Use "auto" (the GPU when there is one, else the CPU) or "off" (--gpu on the command line, the haps.gpu setting in VS Code)` +
        // The default VSIX carries the CPU and Vulkan builds only (scripts/package.mjs): CUDA's come in the -cuda VSIX.
        (backend === "cuda" ? ", or install the NVIDIA driver and CUDA runtime (in VS Code: and the extension's -cuda VSIX, which carries the CUDA build)." : "."),
    );
  }
}

/**
 * Texts a router's tokenizer remembers (LlamaRuntime.routerTokenizer): a route tokenizes its prompt's prefix, the
 * prompt, and per agent each choice after the JSON, read ahead and read (2 agents x 4 candidates: about 20 texts).
 */
const ROUTER_TOKENIZATIONS = 64;

/** JSON schemas whose grammars a runtime keeps compiled (LlamaRuntime.jsonSchemaGrammar). */
const JSON_GRAMMARS = 32;

/** The layer-input feature asked of a router model where the native layer, its architecture or the layer rule it out. */
export class LayerInputUnavailableError extends Error {
  override name = "LayerInputUnavailableError";
  constructor(
    readonly modelPath: string,
    readonly layer: number,
    readonly reason: string,
  ) {
    super(`the router feature "layer-input ${layer}" is not available for ${modelPath}: ${reason}. Use router.feature "output" (the pooled final hidden state) instead.`);
  }
}

/** A call made on a runtime that is being disposed. */
export class RuntimeDisposedError extends Error {
  constructor() {
    super("the llama.cpp runtime is being disposed (shutting down)");
    this.name = "RuntimeDisposedError";
  }
}

export class LlamaRuntime {
  /** Calls under way; `dispose` refuses new ones and frees contexts and models only once none is left. */
  private readonly calls = new CallsUnderWay();
  private disposed: Promise<void> | null = null;
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly embeddingContexts = new Map<string, Promise<LlamaEmbeddingContext>>();
  /** The router's own prefix-cached sequence (feature and decisions alike), one per model and pooling. */
  private readonly routingSequences = new Map<string, Promise<RoutingSequence | LayerInputSequence>>();
  /** Resolving a model's chat wrapper analyses its Jinja template (~0.7 s on 2 cores): once per model. */
  private readonly chatWrappers = new WeakMap<LlamaModel, ReturnType<NodeLlamaCpp["resolveChatWrapper"]>>();
  /** Compiled grammars of recent JSON schemas (jsonSchemaGrammar). */
  private readonly jsonGrammars = new LRUCache<string, Promise<LlamaGrammar>>({ max: JSON_GRAMMARS });
  /** Router passes' recent tokenizations (routerTokenizer). */
  private readonly routerTokenizations = new WeakMap<LlamaModel, LRUCache<string, readonly Token[]>>();
  private recentLog: string[] = [];

  private constructor(
    private readonly lib: NodeLlamaCpp,
    readonly llama: Llama,
    readonly threads: number,
    private readonly onLog?: (level: string, message: string) => void,
    private readonly gpuLayers: number | "auto" = "auto",
    /** In-place adapters and malloc_trim, or the TypeScript path (nativeLayer.ts); `info()` names it. */
    readonly native: NativeLayer = NativeLayer.off("not started"),
  ) {}

  /**
   * Starts llama.cpp: GPU offload when a GPU backend is available (CUDA/Vulkan/Metal), the CPU otherwise. A backend
   * asked for by name that this machine cannot run is an error that says so, never a silent CPU run.
   */
  static async create(options: RuntimeOptions = {}): Promise<LlamaRuntime> {
    // A real dynamic import: node-llama-cpp is ESM only, and bundles must keep it external.
    const lib: NodeLlamaCpp = await import("node-llama-cpp");
    const threads = options.threads && options.threads > 0 ? options.threads : defaultThreads();
    const asked = options.gpu ?? "auto";
    let runtime: LlamaRuntime | undefined;
    let llama: Llama;
    try {
      llama = await lib.getLlama({
        gpu: asked,
        maxThreads: threadBudget(threads),
        build: "never",
        progressLogs: false,
        logLevel: lib.LlamaLogLevel.warn,
        logger: (level, message) => runtime?.log(String(level), message),
      });
    } catch (error) {
      if (asked === "auto" || asked === false) throw error;
      throw new GpuBackendError(asked, `${(error as Error).name === "Error" ? "" : `${(error as Error).name}: `}${(error as Error).message}`);
    }
    // node-llama-cpp answers a backend this platform never has (Metal off macOS) with the CPU.
    if (asked !== "auto" && asked !== false && llama.gpu !== asked) {
      await llama.dispose();
      throw new GpuBackendError(asked, `llama.cpp started on ${llama.gpu === false ? "the CPU" : llama.gpu} instead`);
    }
    // After getLlama: the native layer looks for the llama.cpp node-llama-cpp has just loaded.
    const native = NativeLayer.start({ enabled: options.native });
    runtime = new LlamaRuntime(lib, llama, threads, options.onLog, options.gpuLayers, native);
    const devices = await llama.getGpuDeviceNames().catch(() => []);
    runtime.log(
      "info",
      `llama.cpp backend: ${llama.gpu === false ? "cpu" : llama.gpu}` +
        (devices.length > 0 ? ` (${devices.join(", ")})` : " (no GPU found; running on the CPU)") +
        `, ${threads} thread(s)`,
    );
    runtime.log("info", native.status.detail);
    return runtime;
  }

  private log(level: string, message: string): void {
    const line = message.trimEnd();
    // Expected on every router decision: the decision is read on the embedding context (RoutingSequence), whose batches
    // node-llama-cpp marks with the last token as the only output, and llama.cpp outputs them all anyway (what the one
    // pass relies on).
    if (line.endsWith("embeddings required but some input tokens were not marked as outputs -> overriding")) return;
    this.recentLog.push(line);
    if (this.recentLog.length > 50) this.recentLog.splice(0, this.recentLog.length - 50);
    this.onLog?.(level, line);
  }

  /**
   * Loads `filePath` once (later calls share the load). The file's header is checked first (checkModelFile.ts), so
   * a missing, truncated or unusable file is refused with its path and reason before llama.cpp sees it. Its layers go
   * to the GPU when one is in use (`gpuLayers`: as many as fit by default); a GPU load that fails is retried on the
   * CPU. The log says which.
   */
  async loadModel(filePath: string, options: LoadOptions = {}): Promise<LoadedModel> {
    const resolved = path.resolve(filePath);
    const key = `${resolved}|${options.pooling ?? "file"}`;
    let loaded = this.models.get(key);
    if (loaded == null) {
      loaded = (async () => {
        const fileInfo = await checkModelFile(resolved, this.llama);
        const poolingOverride = options.pooling == null ? undefined : options.pooling === "mean" ? 1 : 3;
        // Flash attention off on the CPU: node-llama-cpp's default ("auto") lets llama.cpp turn it on, and its CPU
        // kernel is the slower path here (measured, 1 thread): decode 21.5 vs 19.7 ms/token on a 4096-wide model
        // with 1,200 tokens cached, 1.9 vs 0.7 ms/token on the 64-wide embedded models (23% of an evaluation's CPU
        // time was that kernel), and a query's tokens after the router's cached prefix 83 vs 65 ms; it wins only a
        // long prefill on a wide model (4.1 vs 4.4 s for 1,200 tokens). On a GPU llama.cpp decides.
        const load = async (gpuLayers: number | "auto") => {
          this.takeRecentLog();
          try {
            return await this.llama.loadModel({
              modelPath: resolved,
              gpuLayers,
              ...(this.llama.gpu === false || gpuLayers === 0 ? { defaultContextFlashAttention: false } : {}),
              ...(poolingOverride == null ? {} : { metadataOverrides: { llama: { pooling_type: poolingOverride } } as never }),
            });
          } catch (error) {
            const log = this.takeRecentLog().slice(-5).join(" | ");
            throw new ModelFileError(`cannot load model "${resolved}": ${(error as Error).message}` + (log ? ` (llama.cpp: ${log})` : ""));
          }
        };
        let model: LlamaModel;
        let fellBackBecause: string | undefined;
        try {
          model = await load(this.gpuLayers);
        } catch (error) {
          if (this.llama.gpu === false) throw error;
          fellBackBecause = (error as Error).message;
          model = await load(0);
        }
        const blocks = (fileInfo.architectureMetadata as { block_count?: number }).block_count ?? 0;
        const { level, message } = describeOffload({
          name: `loaded ${path.basename(resolved)}${options.pooling ? ` (embeddings, ${options.pooling} pooling)` : ""}`,
          gpu: this.llama.gpu,
          gpuLayers: model.gpuLayers,
          totalLayers: blocks + 1,
          fellBackBecause,
        });
        this.log(level, message);
        return new LoadedModel(this.llama, model, resolved, {
          threads: this.threads,
          pooling: options.pooling,
          takeRecentLog: () => this.takeRecentLog(),
          native: this.native,
          log: (level, message) => this.log(level, message),
        });
      })();
      this.models.set(key, loaded);
      loaded.catch(() => this.models.delete(key));
    }
    return await loaded;
  }

  private takeRecentLog(): string[] {
    const lines = this.recentLog;
    this.recentLog = [];
    return lines;
  }

  /** Runs `fn` with a context of `modelPath` leased to it and `adapter` attached for that call only. */
  async withAdapter<T>(
    modelPath: string,
    adapter: AdapterSource | null,
    fn: (lease: ContextLease) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return await this.track(async () => {
      const model = await this.loadModel(modelPath);
      return await model.withContext(adapter, fn, signal);
    });
  }

  /** Counts `fn` as a call under way (dispose waits for it); refused once the runtime is being disposed. */
  private async track<T>(fn: () => Promise<T>): Promise<T> {
    return await this.calls.track(fn);
  }

  /**
   * Starts a generation session on `modelPath` with `adapter` attached to every call (an agent's turns in one
   * episode): each call evaluates only what its prompt does not share with the session's previous call, when the
   * context that holds those tokens is free (LoadedModel's sessions). Close it when the episode ends.
   */
  async openSession(modelPath: string, adapter: AdapterSource | null): Promise<GenerationSession> {
    return await this.track(async () => {
      const model = await this.loadModel(modelPath);
      const session = await model.openSession(adapter);
      return new GenerationSession(this, model, session);
    });
  }

  /** Text generation with streaming, stop strings, a token limit, sampling, a JSON schema and cancellation. */
  async generate(
    request: GenerateRequest,
    hooks: { signal?: AbortSignal; onText?: (text: string) => void } = {},
    session?: { model: LoadedModel; session: ModelSession },
  ): Promise<GenerateResult> {
    const started = performance.now();
    const run = async ({ model, context, sequence, signal }: ContextLease): Promise<GenerateResult> => {
      const input = this.renderInput(model, request);
      const promptTokens = input.length;
      requireRoom(model, promptTokens, context.contextSize);
      // What the sequence already holds of this prompt (at least the last token is always evaluated again).
      const held = sequence.contextTokens;
      let cachedTokens = 0;
      while (cachedTokens < held.length && cachedTokens < input.length - 1 && held[cachedTokens] === input[cachedTokens]) cachedTokens++;
      let outputTokens = 0;
      const grammar = request.jsonSchema ? await this.jsonSchemaGrammar(request.jsonSchema) : undefined;
      const completion = new this.lib.LlamaCompletion({ contextSequence: sequence });
      try {
        // LlamaCompletion puts the model's BOS in front of what it is given: hand it the prompt without ours, or it
        // would evaluate two.
        const bos = model.tokens.bos;
        const { response, metadata } = await completion.generateCompletionWithMeta(bos != null && input[0] === bos ? input.slice(1) : input, {
          maxTokens: request.maxTokens ?? 128,
          temperature: request.temperature ?? 0,
          seed: request.seed ?? 0,
          customStopTriggers: request.stop?.filter((s) => s.length > 0),
          grammar,
          // The caller's signal, or the model's dispose: either ends the generation with what it wrote.
          signal,
          stopOnAbortSignal: true,
          onToken: (tokens) => (outputTokens += tokens.length),
          onTextChunk: hooks.onText,
        });
        const stopReason =
          metadata.stopReason === "maxTokens" ? "maxTokens"
          : metadata.stopReason === "abort" ? "abort"
          : metadata.stopReason === "customStopTrigger" ? "stop"
          : "eos";
        return { text: response, promptTokens, cachedTokens, outputTokens, stopReason, ms: performance.now() - started };
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    };
    if (session != null) return await this.track(() => session.model.withContext(null, run, hooks.signal, session.session));
    return await this.withAdapter(request.modelPath, request.adapter ?? null, run, hooks.signal);
  }

  /**
   * The grammar of a JSON schema, compiled once for the last JSON_GRAMMARS schemas: the protocols ask the same few
   * schemas turn after turn, and a grammar holds no generation state (each generation makes its own evaluation
   * state), so generations on any model and context share it.
   */
  private async jsonSchemaGrammar(schema: object): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.jsonGrammars.get(key);
    if (grammar == null) {
      grammar = this.llama.createGrammarForJsonSchema(schema as never).catch((error: Error): never => {
        this.jsonGrammars.delete(key);
        throw new JsonSchemaError(`the JSON schema cannot be turned into a grammar (${error.message}); check its types, enums and references`);
      });
      this.jsonGrammars.set(key, grammar);
    }
    return await grammar;
  }

  /** Whether the model file carries a chat template (`tokenizer.chat_template`). */
  async hasChatTemplate(modelPath: string): Promise<boolean> {
    const { model } = await this.loadModel(modelPath);
    const tokenizer = (model.fileInfo.metadata as { tokenizer?: { chat_template?: unknown } }).tokenizer;
    return typeof tokenizer?.chat_template === "string" && tokenizer.chat_template.length > 0;
  }

  /** The prompt as tokens: raw text with BOS, or chat messages through the model file's chat template. */
  renderInput(model: LlamaModel, request: GenerateRequest): Token[] {
    if (request.chat != null) {
      let wrapper = this.chatWrappers.get(model);
      if (wrapper == null) this.chatWrappers.set(model, (wrapper = this.lib.resolveChatWrapper(model)));
      const history = request.chat.map((m) =>
        m.role === "assistant" ? { type: "model" as const, response: [m.content] } : { type: m.role, text: m.content },
      );
      // An empty model turn at the end makes the template write its generation prompt (e.g. "Assistant:").
      if (request.chat.at(-1)?.role !== "assistant") history.push({ type: "model", response: [] });
      const state = wrapper.generateContextState({ chatHistory: history });
      const tokens = state.contextText.tokenize(model.tokenizer);
      const bos = model.tokens.bos;
      return bos == null || tokens[0] === bos ? tokens : [bos, ...tokens];
    }
    if (request.prompt == null) throw new Error("generate: give either `prompt` or `chat`");
    return this.tokenizeWithBos(model, request.prompt);
  }

  /** `model.tokenize()` adds no BOS; llama models expect one. */
  tokenizeWithBos(model: LlamaModel, text: string): Token[] {
    const bos = model.tokens.bos;
    const tokens = model.tokenize(text);
    return bos == null ? tokens : [bos, ...tokens];
  }

  /**
   * tokenizeWithBos for a router pass, remembering the last ROUTER_TOKENIZATIONS texts: every pass tokenizes the
   * routing prompt's fixed prefix again (hundreds of tokens), and the decisions' texts read ahead once more when they
   * are read. The arrays are frozen: they are shared.
   */
  private routerTokenizer(model: LlamaModel): (text: string) => Token[] {
    let memo = this.routerTokenizations.get(model);
    if (memo == null) this.routerTokenizations.set(model, (memo = new LRUCache({ max: ROUTER_TOKENIZATIONS })));
    const cache = memo;
    return (text) => {
      let tokens = cache.get(text);
      if (tokens == null) cache.set(text, (tokens = Object.freeze(this.tokenizeWithBos(model, text))));
      return tokens as Token[];
    };
  }

  /**
   * The model's next-token distribution after `prompt` (with BOS), with `adapter` attached if given.
   * Returns the probabilities of every token with a non-zero probability.
   */
  async nextTokenProbabilities(
    modelPath: string,
    prompt: string,
    adapter: AdapterSource | null = null,
  ): Promise<Map<Token, number>> {
    return await this.withAdapter(modelPath, adapter, async ({ model, context, sequence }) => {
      const tokens = this.tokenizeWithBos(model, prompt);
      requireRoom(model, tokens.length, context.contextSize);
      const input = tokens.map((t, i) =>
        i === tokens.length - 1 ? ([t, { generateNext: { probabilities: true } }] as const) : t,
      );
      const output = await sequence.controlledEvaluate(input as never);
      const probabilities = output[tokens.length - 1]?.next?.probabilities;
      if (probabilities == null) throw new Error(`no next-token probabilities from model "${model.filename}"`);
      return probabilities;
    });
  }

  /**
   * The probability of each of `choices` as the model's continuation of `prefix` when it is constrained to produce
   * exactly one of them followed by `terminator` - as a grammar allowing only those strings does: at each step the
   * distribution is renormalised over the tokens that keep some choice reachable. Sums to 1.
   */
  async constrainedChoiceProbabilities(
    modelPath: string,
    prefix: string,
    choices: string[],
    terminator = "",
    adapter: AdapterSource | null = null,
  ): Promise<number[]> {
    if (choices.length === 0) return [];
    return await this.withAdapter(modelPath, adapter, async ({ model, context, sequence }) => {
      const full = choices.map((c) => this.tokenizeWithBos(model, prefix + c + terminator));
      requireRoom(model, Math.max(...full.map((t) => t.length)), context.contextSize);
      // The shared context (a whole prompt) is evaluated once; each choice's tail is evaluated after it and erased
      // again, so the cost is one prompt plus the choices' few tokens.
      const held = new PrefixSequence(context, sequence);
      return await choiceProbabilities(held, full);
    });
  }

  /**
   * `constrainedChoiceProbabilities` for the router LLM's decisions, on the router's own sequence (routingPass): a
   * prompt that extends the last one (the next agent's decision, or the query whose feature was just read) or shares
   * its fixed prefix (the next query's routing prompt) costs only its new tokens.
   */
  async routingChoiceProbabilities(modelPath: string, prefix: string, choices: string[], terminator = "", pooling: "mean" | "last" = "mean"): Promise<number[]> {
    return await this.routingPass(modelPath, pooling, (pass) => pass.choose(prefix, choices, terminator));
  }

  /**
   * The router's backbone feature: the pooled embedding of `prefix + rest`, equal to `embed` of the whole text, with
   * the prefix (the routing prompt's fixed parts) evaluated once and kept in the router's KV cache.
   */
  async routingFeature(modelPath: string, prefix: string, rest: string, pooling: "mean" | "last" = "mean", layerInput?: number): Promise<number[]> {
    return await this.routingPass(modelPath, pooling, (pass) => pass.feature(prefix, rest), layerInput);
  }

  /**
   * Runs `fn` with the router's sequence for `modelPath` and `pooling` to itself (calls are queued): the feature and
   * the zero-shot decisions of one query read inside one `fn` share their decodes - the query's tokens are evaluated
   * once, for both (RoutingSequence).
   */
  async routingPass<T>(modelPath: string, pooling: "mean" | "last", fn: (pass: RoutingPass) => Promise<T>, layerInput?: number): Promise<T> {
    return await this.track(() => this.routingPassTracked(modelPath, pooling, fn, layerInput));
  }

  /**
   * Whether the router model can give the layer-input feature at `layer` here (the native layer, the architecture,
   * the layer): null when it can, else why not. Opens (and keeps) the router's layer-input sequence.
   */
  async layerInputProblem(modelPath: string, pooling: "mean" | "last", layer: number): Promise<string | null> {
    try {
      await this.routingPass(modelPath, pooling, async () => undefined, layer);
      return null;
    } catch (error) {
      if (error instanceof LayerInputUnavailableError) return error.reason;
      throw error;
    }
  }

  private async routingPassTracked<T>(modelPath: string, pooling: "mean" | "last", fn: (pass: RoutingPass) => Promise<T>, layerInput?: number): Promise<T> {
    const key = `${path.resolve(modelPath)}|${pooling}${layerInput == null ? "" : `|layer-input ${layerInput}`}`;
    let pending = this.routingSequences.get(key);
    if (pending == null) {
      // A load of its own (pooling overridden), never given an adapter: its decodes need no lock (LoadedModel).
      pending = this.loadModel(modelPath, { pooling }).then(async (m) => {
        const width = (m.model.fileInfo.architectureMetadata as { embedding_length?: number }).embedding_length ?? -1;
        if (layerInput != null) {
          // A plain context whose batch is its whole size: each part of a routing prompt is one decode (LayerInputSequence).
          const size = embeddingContextSize(m.model);
          const context = await m.model.createContext({ threads: this.threads, contextSize: size, batchSize: size, sequences: 1 });
          const reader = this.native.layerInputReader(m.model, context, m.filePath, width, layerInput);
          if (typeof reader === "string") {
            await context.dispose();
            throw new LayerInputUnavailableError(m.filePath, layerInput, reader);
          }
          return new LayerInputSequence(context, layerInput, pooling, reader);
        }
        const context = await m.model.createEmbeddingContext({ threads: this.threads, contextSize: embeddingContextSize(m.model) });
        return RoutingSequence.create(context, pooling, (llamaContext) => this.native.embeddingsSwitch(m.model, llamaContext, m.filePath, width));
      });
      this.routingSequences.set(key, pending);
      pending.catch(() => this.routingSequences.delete(key));
    }
    const sequence = await pending;
    const model = (await this.loadModel(modelPath, { pooling })).model;
    const size = embeddingContextSize(model);
    const tokenize = this.routerTokenizer(model);
    // Reading ahead is a guess that must never fail a route: a text whose reads would not fit the context is left out.
    const readsAhead = (ahead: ReadAhead | undefined, tokenize: (text: string) => Token[]) =>
      (ahead?.texts ?? []).flatMap((text) => {
        const full = ahead!.choices.map((c) => tokenize(text + c + ahead!.terminator));
        return full.some((t) => t.length >= size) ? [] : choiceReads(full);
      });
    const pass: RoutingPass = {
      feature: async (prefix, rest, ahead) => {
        requireRoom(model, tokenize(prefix + rest).length, size);
        // The layer-input sequence tokenizes as the decisions do (with BOS), so that they extend its cached tokens.
        // The output feature pools every token of its batch: the decisions' text cannot join it (the first `choose`
        // decodes it instead).
        if (sequence instanceof LayerInputSequence) return await sequence.feature(tokenize, prefix, rest, readsAhead(ahead, tokenize));
        return await sequence.feature((text) => model.tokenize(text), prefix, rest);
      },
      choose: async (prefix, choices, terminator = "", ahead = []) => {
        if (choices.length === 0) return [];
        const full = choices.map((c) => tokenize(prefix + c + terminator));
        requireRoom(model, Math.max(...full.map((t) => t.length)), size);
        return await choiceProbabilities(sequence, full, readsAhead({ texts: ahead, choices, terminator }, tokenize));
      },
    };
    return await sequence.use(() => fn(pass));
  }

  /** Embeddings of `texts` (one vector each) from `modelPath`, pooled as asked. */
  async embed(modelPath: string, texts: string[], pooling: "mean" | "last" = "mean"): Promise<number[][]> {
    return await this.track(() => this.embedTracked(modelPath, texts, pooling));
  }

  private async embedTracked(modelPath: string, texts: string[], pooling: "mean" | "last"): Promise<number[][]> {
    const key = `${path.resolve(modelPath)}|${pooling}`;
    let context = this.embeddingContexts.get(key);
    if (context == null) {
      context = this.loadModel(modelPath, { pooling }).then((m) =>
        m.model.createEmbeddingContext({ threads: this.threads, contextSize: embeddingContextSize(m.model) }),
      );
      this.embeddingContexts.set(key, context);
      context.catch(() => this.embeddingContexts.delete(key));
    }
    const ctx = await context;
    const vectors: number[][] = [];
    for (const text of texts) {
      requireRoom(ctx.model, this.tokenizeWithBos(ctx.model, text).length, embeddingContextSize(ctx.model));
      vectors.push([...(await ctx.getEmbeddingFor(text)).vector]);
    }
    return vectors;
  }

  async info(): Promise<RuntimeInfo> {
    const models: LoadedModelInfo[] = [];
    for (const loaded of this.models.values()) {
      const m = await loaded.catch(() => null);
      if (m == null) continue;
      const arch = m.model.fileInfo.architectureMetadata as { block_count?: number; embedding_length?: number };
      models.push({
        path: m.filePath,
        id: m.id,
        gpuLayers: m.model.gpuLayers,
        totalLayers: (arch.block_count ?? 0) + 1,
        architecture: String((m.model.fileInfo.metadata as { general?: { architecture?: string } }).general?.architecture),
        embeddingLength: arch.embedding_length ?? 0,
        ...(m.options.pooling == null ? {} : { pooling: m.options.pooling }),
      });
    }
    return {
      backend: this.llama.gpu === false ? "cpu" : this.llama.gpu,
      gpu: this.llama.gpu,
      gpuDevices: await this.llama.getGpuDeviceNames().catch(() => []),
      threads: this.threads,
      nodeLlamaCppVersion: nodeLlamaCppVersion(),
      nativeLayer: { path: this.native.status.path, detail: this.native.status.detail },
      hypernetworkThreads: kernelThreads(),
      models,
      memory: {
        rssBytes: process.memoryUsage().rss,
        vram: this.llama.gpu === false ? null : await this.llama.getVramState().then((v) => ({ totalBytes: v.total, usedBytes: v.used }), () => null),
      },
    };
  }

  /**
   * Frees every model and context, and llama.cpp - once the calls under way have ended: new calls are refused
   * (RuntimeDisposedError), calls waiting for a context too (ModelDisposedError), running generations stop early
   * and return what they wrote, and the rest (a router pass, an embedding) finish. Freeing a context under a running
   * decode made that decode reject after its caller had gone (an 'Object is disposed' unhandled rejection). Idempotent.
   */
  async dispose(): Promise<void> {
    this.disposed ??= (async () => {
      this.calls.close(new RuntimeDisposedError());
      for (const m of this.models.values()) (await m.catch(() => null))?.refuseCalls();
      await this.calls.idle();
      for (const s of this.routingSequences.values()) await (await s.catch(() => null))?.dispose();
      for (const c of this.embeddingContexts.values()) await (await c.catch(() => null))?.dispose();
      for (const m of this.models.values()) await (await m.catch(() => null))?.dispose();
      this.models.clear();
      await this.llama.dispose();
    })();
    await this.disposed;
  }
}

/** Embedding contexts hold a whole text at once: up to 2,048 tokens, fewer when the model was trained on fewer. */
function embeddingContextSize(model: LlamaModel): number {
  return usableContextSize(model.trainContextSize);
}

/** Throws a PromptTooLongError unless `tokens` leave at least one free position in a context of `contextSize`. */
function requireRoom(model: LlamaModel, tokens: number, contextSize: number): void {
  if (tokens >= contextSize) throw new PromptTooLongError(path.basename(model.filename ?? "model", ".gguf"), tokens, contextSize);
}

/**
 * Half the logical cores (at least 1): ggml's worker threads spin while they wait, so using every core - or more,
 * as llama.cpp's own default of max(4, cores) does - collapses throughput as soon as anything else runs (measured
 * ~100x slower on 2 cores); one thread per physical core is the safe middle.
 */
export function defaultThreads(): number {
  return Math.max(1, Math.floor(os.availableParallelism() / 2));
}

/**
 * node-llama-cpp's cap on the threads of all contexts decoding at once (`getLlama({maxThreads})`): a context's decode
 * waits until its threads fit under it. Capped at `threads` (one context's), two contexts of one thread each decoded
 * strictly one after the other (concurrent episodes on 2 cores: 1.09x one at a time).
 *
 * With several threads per context: the logical cores, at least one context's threads, so that contexts decode side
 * by side while they fit on the cores and wait rather than oversubscribe them (ggml's threads spin; see
 * defaultThreads).
 *
 * With one thread per context: twice the logical cores. Such a context's decode runs on the calling thread alone
 * (nothing spins), and it holds its share of the budget until the main thread has taken its result, so with the budget
 * at the core count the cores idled whenever the main thread was busy: on 2 cores, 4 concurrent episodes never had more
 * than 2 decodes in flight and the process used 1.42 cores (bench/partial/2026-12-06-quiet-issue18-after-trie.json);
 * with this budget, 1.61 (bench/partial/2026-12-07-quiet-issue18-final.json, which also overlaps zero-shot routing).
 */
export function threadBudget(threads: number): number {
  const cores = os.availableParallelism();
  return threads === 1 ? Math.max(1, 2 * cores) : Math.max(threads, cores);
}

function nodeLlamaCppVersion(): string {
  try {
    // The package's exports map hides package.json; find it beside the resolved entry point.
    const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
    const file = path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), "package.json");
    return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** An agent's calls on one model in one episode (LlamaRuntime.openSession). */
export class GenerationSession {
  private closed = false;

  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly model: LoadedModel,
    private readonly session: ModelSession,
  ) {}

  /** `LlamaRuntime.generate` with the session's adapter and cache (the request's own `adapter` must be absent). */
  async generate(request: GenerateRequest, hooks: { signal?: AbortSignal; onText?: (text: string) => void } = {}): Promise<GenerateResult> {
    if (this.closed) throw new Error("GenerationSession: closed");
    if (request.adapter != null) throw new Error("GenerationSession.generate: the session brings its own adapter");
    if (path.resolve(request.modelPath) !== this.model.filePath) throw new Error(`GenerationSession: opened for ${this.model.filePath}, asked for ${request.modelPath}`);
    return await this.runtime.generate(request, hooks, { model: this.model, session: this.session });
  }

  /** Frees the session's adapter; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.model.closeSession(this.session);
  }
}
