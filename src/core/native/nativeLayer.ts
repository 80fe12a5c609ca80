// The native layer (native/README.md): a small Node-API addon that reaches the llama.cpp node-llama-cpp already loaded,
// for what node-llama-cpp does not bind - adapters updated in place and glibc's malloc_trim.
//
// Where it is missing (another platform, no compiler at build time, `HAPS_NATIVE=off`, `RuntimeOptions.native:
// false`) or its checks fail, the engine uses the TypeScript path (adapters written to a file, loaded and freed per
// query); the runtime says once in its log which path it uses, and `haps info` / Show Runtime Info name it.
//
// Two levels of checks, both before anything is written through the addon:
// - at start-up (`startNativeLayer`): the binary loads, and it finds exactly one libllama and one libggml-base
//   already in the process with the functions it calls;
// - per model (`selfTestModel`) and per pooled adapter (`checkPooledLora`): every layout and pointer the addon reads
//   is compared with what is known independently - the unwrapped objects point at each other as they must, the model
//   file path and width, the context size, the adapter's file, alpha and tensor names, shapes and types, and a write
//   read back.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LlamaContext, LlamaModel } from "node-llama-cpp";

/** The addon's exports (native/src/hapsNative.cc). */
export interface NativeAddon {
  mallocTrim(): boolean | undefined;
  attach(): { llama?: string; ggmlBase?: string; error?: string; layerInput?: boolean };
  wrappedAddress(object: object): bigint;
  describeModel(addonModel: object): { self: bigint; llamaModel: bigint; loaded: boolean; modelPath: string; nEmbd?: number };
  /** Shallow (`deep` false): only `addonModel`, the first field, to be checked before any other is trusted. */
  describeContext(addonContext: object, deep: boolean): { addonModel: bigint; loaded: boolean; llamaModel?: bigint; nCtx?: number };
  describeLora(addonLora: object, deep: boolean): {
    addonModel: bigint;
    filePath: string;
    loaded: boolean;
    llamaModel?: bigint;
    alpha?: number;
    tensors?: { weight: string; name: string; type: number; ne: number[]; bytes: number }[];
  };
  writeLora(addonLora: object, names: string[], data: Float32Array[]): void;
  readLora(addonLora: object, name: string): Float32Array;
  /** Missing from binaries built before it existed. */
  setEmbeddings?(addonContext: object, on: boolean): void;
  /** The layer-input capture (missing from binaries built before it existed): whether this context's model allows it. */
  layerInputSupport?(addonContext: object): { architecture: string; layers: number; error?: string };
  /** Throws (without calling llama.cpp) for an architecture or layer llama.cpp does not record. */
  enableLayerInput?(addonContext: object, layer: number): void;
  forgetLayerInput?(addonContext: object): void;
  /** The pooled input of `layer` over the first `nTokens` tokens of the last decode. */
  readLayerInput?(addonContext: object, layer: number, nTokens: number, pooling: "mean" | "last"): Float64Array;
  readonly nodeLlamaCppHeaders: string;
}

/** A context's capture of one layer's input (NativeLayer.layerInputReader). */
export interface LayerInputReader {
  readonly architecture: string;
  /** Layers the model runs (layer indices 0..layers-1). */
  readonly layers: number;
  /**
   * The layer's input over the first `nTokens` tokens of the context's last decode, pooled. Valid only right after a
   * decode of at least that many tokens: llama.cpp keeps one row per token of the last decode only.
   */
  read(nTokens: number, pooling: "mean" | "last"): Float64Array;
  /** Drops the addon's record of the context (before it is freed). */
  forget(): void;
}

/** Which path the engine uses, and why. */
export interface NativeLayerStatus {
  path: "native" | "typescript";
  /** One line for logs and `haps info`. */
  detail: string;
  binary?: string;
}

export function nativeBinaryName(platform: string = process.platform, arch: string = process.arch): string {
  return `haps-native-${platform}-${arch}.node`;
}

/** The built binary: beside the engine bundle (dist/native/), or the repository's dist/native/ when run from source. */
export function findNativeBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.HAPS_NATIVE_ADDON) return existsSync(env.HAPS_NATIVE_ADDON) ? env.HAPS_NATIVE_ADDON : null;
  const name = nativeBinaryName();
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    for (const candidate of [path.join(dir, "native", name), path.join(dir, "dist", "native", name)]) if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return null;
}

/** The native layer of one process: the addon, once attached, or the reason the TypeScript path is used. */
export class NativeLayer {
  private lastTrim = 0;

  private constructor(
    readonly addon: NativeAddon | null,
    readonly status: NativeLayerStatus,
  ) {}

  /**
   * Loads and attaches the addon; call after node-llama-cpp loaded llama.cpp (getLlama). Never throws: any problem
   * gives the TypeScript path, with the reason in `status.detail`.
   */
  static start(options: { enabled?: boolean; env?: NodeJS.ProcessEnv } = {}): NativeLayer {
    const env = options.env ?? process.env;
    const off = (detail: string, binary?: string) => new NativeLayer(null, { path: "typescript", detail, ...(binary ? { binary } : {}) });
    if (options.enabled === false) return off("native layer disabled by the runtime options: adapters through files");
    if (env.HAPS_NATIVE === "off" || env.HAPS_NATIVE === "0") return off("native layer disabled (HAPS_NATIVE=off): adapters through files");
    const binary = findNativeBinary(env);
    if (binary == null) return off(`no native binary for ${process.platform}-${process.arch} (npm run build makes one on Linux with a C++ compiler): adapters through files`);
    let addon: NativeAddon;
    try {
      const module = { exports: {} as NativeAddon };
      process.dlopen(module, binary);
      addon = module.exports;
    } catch (error) {
      return off(`the native binary did not load (${(error as Error).message}): adapters through files`, binary);
    }
    const attached = addon.attach();
    if (attached.error != null) return off(`the native layer found no usable llama.cpp (${attached.error}): adapters through files`, binary);
    return new NativeLayer(addon, {
      path: "native",
      detail: `native layer: adapters updated in place, malloc_trim, ${attached.layerInput === true ? "layer-input capture" : "no layer-input capture (the router's layer-input feature is unavailable)"} (${path.basename(binary)}, built against node-llama-cpp ${addon.nodeLlamaCppHeaders}'s headers; llama.cpp ${path.basename(attached.llama!)})`,
      binary,
    });
  }

  /** A layer that uses the TypeScript path (for callers without a runtime). */
  static off(detail: string): NativeLayer {
    return new NativeLayer(null, { path: "typescript", detail });
  }

  /**
   * glibc's malloc_trim(0): freed pages of every arena go back to the system. At most once per `minIntervalMs`
   * (a trim walks the heap; freeing happens in bursts). Returns whether it ran.
   */
  trim(minIntervalMs = 200): boolean {
    if (this.addon == null) return false;
    const now = performance.now();
    if (now - this.lastTrim < minIntervalMs) return false;
    this.lastTrim = now;
    this.addon.mallocTrim();
    return true;
  }

  /**
   * Checks the addon's view of `model` and `context` against node-llama-cpp's own and the file's: returns null when
   * everything matches, else what did not. Reads only pointers and sizes, in an order where each step relies only on
   * what the steps before it verified.
   */
  selfTestModel(model: LlamaModel, context: LlamaContext, filePath: string, embeddingLength: number): string | null {
    const addon = this.addon;
    if (addon == null) return "no addon";
    const addonModel = (model as unknown as { _model?: object })._model;
    const addonContext = (context as unknown as { _ctx?: object })._ctx;
    if (addonModel == null || addonContext == null) return "node-llama-cpp's model._model or context._ctx is missing";
    try {
      const self = addon.wrappedAddress(addonModel);
      // The context's first field must point at the model object: this checks the ObjectWrap base's size before any
      // pointer read from these objects is followed.
      if (addon.describeContext(addonContext, false).addonModel !== self) return "AddonContext.model does not point at the model's AddonModel (layout mismatch)";
      const m = addon.describeModel(addonModel);
      const c = addon.describeContext(addonContext, true);
      if (m.self !== self) return "AddonModel unwraps to another address";
      if (!m.loaded || m.llamaModel === 0n) return "AddonModel has no loaded llama_model";
      if (path.resolve(m.modelPath) !== path.resolve(filePath)) return `AddonModel.modelPath is "${m.modelPath}", expected "${filePath}"`;
      if (m.nEmbd !== embeddingLength) return `llama_model_n_embd gives ${m.nEmbd}, the file says ${embeddingLength}`;
      if (!c.loaded || c.llamaModel !== m.llamaModel) return "the context's llama_model is not the model's";
      if (c.nCtx !== context.contextSize) return `llama_n_ctx gives ${c.nCtx}, node-llama-cpp says ${context.contextSize}`;
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /**
   * A switch for `context`'s embeddings mode (llama_set_embeddings), once the addon's view of `model` and `context`
   * passes selfTestModel; null without the addon, with a binary that lacks it, or when a check fails.
   */
  embeddingsSwitch(model: LlamaModel, context: LlamaContext, filePath: string, embeddingLength: number): ((on: boolean) => void) | null {
    const addon = this.addon;
    if (addon?.setEmbeddings == null) return null;
    if (this.selfTestModel(model, context, filePath, embeddingLength) != null) return null;
    const addonContext = (context as unknown as { _ctx: object })._ctx;
    return (on) => addon.setEmbeddings!(addonContext, on);
  }

  /**
   * The input of `layer` (the residual stream entering it, before its attention norm) for the tokens of each decode
   * on `context`, once the addon's view of `model` and `context` passes selfTestModel and the addon's guard accepts the
   * architecture and the layer. Returns the reason instead where any of that fails (no addon, a binary without it, an
   * architecture llama.cpp does not record layer inputs for, a layer out of range, a failed check).
   */
  layerInputReader(model: LlamaModel, context: LlamaContext, filePath: string, embeddingLength: number, layer: number): LayerInputReader | string {
    const addon = this.addon;
    if (addon == null) return `the native layer is off (${this.status.detail})`;
    if (addon.layerInputSupport == null || addon.enableLayerInput == null || addon.readLayerInput == null || addon.forgetLayerInput == null) {
      return "the native binary predates the layer-input capture (npm run build rebuilds it)";
    }
    const problem = this.selfTestModel(model, context, filePath, embeddingLength);
    if (problem != null) return `the native layer's check of the router model failed: ${problem}`;
    const addonContext = (context as unknown as { _ctx: object })._ctx;
    const support = addon.layerInputSupport(addonContext);
    if (support.error != null) return support.error;
    if (!Number.isInteger(layer) || layer < 0 || layer >= support.layers) return `layer ${layer} is out of range (the model has layers 0..${support.layers - 1})`;
    try {
      addon.enableLayerInput(addonContext, layer);
    } catch (error) {
      return (error as Error).message;
    }
    return {
      architecture: support.architecture,
      layers: support.layers,
      read: (nTokens, pooling) => addon.readLayerInput!(addonContext, layer, nTokens, pooling),
      forget: () => addon.forgetLayerInput!(addonContext),
    };
  }

  /**
   * Checks a freshly loaded pooled adapter: it belongs to `model`, came from `filePath`, has `alpha`, and holds
   * exactly `expected` tensors (name -> ggml ne[0], ne[1], F32); then a write is read back. Null when all match.
   */
  checkPooledLora(model: LlamaModel, addonLora: object, filePath: string, alpha: number, expected: Map<string, [number, number]>): string | null {
    const addon = this.addon;
    if (addon == null) return "no addon";
    try {
      const self = addon.wrappedAddress((model as unknown as { _model: object })._model);
      const m = addon.describeModel((model as unknown as { _model: object })._model);
      if (addon.describeLora(addonLora, false).addonModel !== self) return "AddonModelLora.model does not point at the model's AddonModel (layout mismatch)";
      const d = addon.describeLora(addonLora, true);
      if (d.filePath !== filePath) return `AddonModelLora.loraFilePath is "${d.filePath}", expected "${filePath}"`;
      if (!d.loaded || d.llamaModel !== m.llamaModel) return "the adapter's llama_model is not the model's";
      if (d.alpha !== Math.fround(alpha)) return `the adapter's alpha is ${d.alpha}, the file says ${alpha}`;
      const tensors = d.tensors ?? [];
      if (tensors.length !== expected.size) return `the adapter holds ${tensors.length} tensors, expected ${expected.size}`;
      for (const t of tensors) {
        const shape = expected.get(t.name);
        if (shape == null || !t.name.startsWith(`${t.weight}.lora_`)) return `unexpected adapter tensor "${t.name}" (weight "${t.weight}")`;
        // GGML_TYPE_F32 is 0.
        if (t.type !== 0 || t.ne[0] !== shape[0] || t.ne[1] !== shape[1] || t.ne[2] !== 1 || t.ne[3] !== 1 || t.bytes !== shape[0] * shape[1] * 4) {
          return `adapter tensor "${t.name}" is type ${t.type} [${t.ne.join(", ")}] (${t.bytes} bytes), expected F32 [${shape.join(", ")}, 1, 1]`;
        }
      }
      // A write read back: a pattern, then zeros again.
      const [name, shape] = expected.entries().next().value!;
      const pattern = Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => (i % 7) - 3);
      addon.writeLora(addonLora, [name], [pattern]);
      const back = addon.readLora(addonLora, name);
      if (back.length !== pattern.length || back.some((v, i) => v !== pattern[i])) return `a write to "${name}" did not read back`;
      addon.writeLora(addonLora, [name], [new Float32Array(pattern.length)]);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }
}
