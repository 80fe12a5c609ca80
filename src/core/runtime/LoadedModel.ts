// One model file loaded once, with a small pool of single-sequence contexts.
//
// LoRA adapters in llama.cpp are context-wide, not per sequence, so every query leases a whole context: two queries
// with different adapters on the same model run on different contexts and never see each other's adapter.
import path from "node:path";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { checkAdapterFits } from "./checkAdapterFits.ts";
import { attachLora, detachLoras, freeLora, loadLora, selfTestLoraSwap } from "./loraSwap.ts";

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

  /**
   * Runs `fn` on a context of its own, with `adapterPath` (if any) attached for exactly that call. The adapter is
   * checked against the model first, loaded, attached, and detached and freed afterwards, whatever `fn` does.
   */
  async withContext<T>(
    adapter: { path: string; scale: number } | null,
    fn: (lease: ContextLease) => Promise<T>,
  ): Promise<T> {
    // Check before taking a context, so a bad adapter never holds up other queries.
    if (adapter != null) await checkAdapterFits(adapter.path, this.id, this.model.fileInfo);
    const context = await this.acquire();
    let lora: Awaited<ReturnType<typeof loadLora>> | null = null;
    try {
      if (adapter != null) {
        try {
          lora = await loadLora(this.model, adapter.path);
        } catch (error) {
          const log = this.options.takeRecentLog?.().slice(-5).join(" | ");
          throw new Error(
            `Model "${this.id}" refused adapter "${adapter.path}": ${(error as Error).message}` + (log ? ` (llama.cpp: ${log})` : ""),
          );
        }
        attachLora(context, lora, adapter.scale);
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

  private async acquire(): Promise<LlamaContext> {
    const ready = this.idle.pop();
    if (ready != null) return ready;
    if (this.contextsCreated < (this.options.maxContexts ?? 2)) {
      this.contextsCreated++;
      try {
        const context = await this.model.createContext({
          contextSize: Math.min(this.options.contextSize ?? 2048, this.model.trainContextSize),
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
    return await new Promise<LlamaContext>((resolve) => this.waiters.push(resolve));
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
