// One model file loaded once, with a small pool of single-sequence contexts.
//
// LoRA adapters in llama.cpp are context-wide, not per sequence, so every query leases a whole context: two queries
// with different adapters on the same model run on different contexts and never see each other's adapter.
import { mkdtempSync } from "node:fs";
import { unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { encodeLoraAdapter } from "../adapters/writeLoraAdapter.ts";
import { checkAdapterFileFits, checkLoraFits } from "./checkAdapterFits.ts";
import { attachLora, detachLoras, freeLora, loadLora, selfTestLoraSwap, type LoadedLora } from "./loraSwap.ts";
import type { AdapterSource } from "./types.ts";

/** Where generated adapters are written for llama.cpp to load; each file lives only until it is loaded. */
let scratchDir: string | null = null;
let scratchCounter = 0;
function scratchFile(): string {
  scratchDir ??= mkdtempSync(path.join(os.tmpdir(), "haps-adapters-"));
  return path.join(scratchDir, `${process.pid}-${++scratchCounter}.gguf`);
}

/** A context leased to one query; its sequence starts empty. */
export interface ContextLease {
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
}

export interface LoadedModelOptions {
  threads: number;
  /** Contexts kept per model (queries beyond this wait for a free one). Defaults to 2. */
  maxContexts?: number;
  /** Context size in tokens, capped by the model's training context. Defaults to 2048. */
  contextSize?: number;
  /** Embedding pooling this load was made for, if any (see LlamaRuntime.loadModel). */
  pooling?: "mean" | "last";
  /** Receives llama.cpp log lines while an adapter loads (to explain a failure). */
  takeRecentLog?: () => string[];
}

export class LoadedModel {
  readonly id: string;
  private readonly idle: LlamaContext[] = [];
  private readonly waiters: ((context: LlamaContext) => void)[] = [];
  private contextsCreated = 0;
  private selfTested = false;

  constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly filePath: string,
    readonly options: LoadedModelOptions,
  ) {
    this.id = path.basename(filePath, ".gguf");
  }

  /** Tokens each of this model's contexts holds: `contextSize` (default 2,048), at most the training context. */
  get contextSize(): number {
    return Math.min(this.options.contextSize ?? 2048, this.model.trainContextSize);
  }

  /**
   * Runs `fn` on a context of its own, with `adapter` (if any) attached for exactly that call. The adapter is
   * checked against the model first, loaded, attached, and detached and freed afterwards, whatever `fn` does.
   */
  async withContext<T>(
    adapter: AdapterSource | null,
    fn: (lease: ContextLease) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    // Check before taking a context, so a bad adapter never holds up other queries.
    if (adapter != null && "path" in adapter) await checkAdapterFileFits(adapter.path, this.id, this.model.fileInfo);
    if (adapter != null && "lora" in adapter) checkLoraFits(adapter.lora, this.id, this.model.fileInfo);
    const context = await this.acquire(signal);
    let lora: LoadedLora | null = null;
    try {
      if (adapter != null) {
        lora = await this.load(adapter);
        attachLora(context, lora, adapter.scale ?? 1);
      }
      const sequence = context.getSequence();
      try {
        return await fn({ model: this.model, context, sequence });
      } finally {
        sequence.dispose();
      }
    } finally {
      // Detach before freeing: freeing an attached adapter gives garbage output on the next query.
      if (lora != null) {
        detachLoras(context);
        await freeLora(lora);
      }
      this.release(context);
    }
  }

  /** llama.cpp loads adapters from files only: a generated one is written, loaded, and its file removed at once. */
  private async load(adapter: AdapterSource): Promise<LoadedLora> {
    const file = "path" in adapter ? adapter.path : scratchFile();
    try {
      if ("lora" in adapter) await writeFile(file, encodeLoraAdapter(adapter.lora));
      return await loadLora(this.model, file);
    } catch (error) {
      const log = this.options.takeRecentLog?.().slice(-5).join(" | ");
      throw new Error(`Model "${this.id}" refused adapter ${"path" in adapter ? `"${file}"` : "(generated)"}: ${(error as Error).message}` + (log ? ` (llama.cpp: ${log})` : ""));
    } finally {
      if ("lora" in adapter) await unlink(file).catch(() => {});
    }
  }

  /** A free context; waits for one when all are leased, unless `signal` aborts first. */
  private async acquire(signal?: AbortSignal): Promise<LlamaContext> {
    signal?.throwIfAborted();
    const ready = this.idle.pop();
    if (ready != null) return ready;
    if (this.contextsCreated < (this.options.maxContexts ?? 2)) {
      this.contextsCreated++;
      try {
        const context = await this.model.createContext({
          contextSize: this.contextSize,
          sequences: 1,
          threads: this.options.threads,
          failedCreationRemedy: false,
        });
        if (!this.selfTested) {
          selfTestLoraSwap(this.model, context);
          this.selfTested = true;
        }
        return context;
      } catch (error) {
        this.contextsCreated--;
        throw error;
      }
    }
    return await new Promise<LlamaContext>((resolve, reject) => {
      const waiter = (context: LlamaContext) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(context);
      };
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(context: LlamaContext): void {
    const waiter = this.waiters.shift();
    if (waiter != null) waiter(context);
    else this.idle.push(context);
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
