// One model file loaded once, with a small pool of single-sequence contexts.
//
// LoRA adapters in llama.cpp are context-wide, not per sequence, so every query leases a whole context: two queries
// with different adapters on the same model run on different contexts and never see each other's adapter.
//
// A session (an agent in an episode) keeps its adapter loaded and, between its calls, the tokens its last call left
// in a context's KV cache: its next call prefers that context and evaluates only what its new prompt does not share
// with the last one. A session never holds a context between calls (no deadlock however many episodes run at once);
// when another caller has taken its context meanwhile, it gets another and its cache is simply lost. A context's
// cached tokens are valid only under the adapter they were computed with, so a context that changes hands starts
// empty.
//
// llama.cpp keeps the adapters loaded for a model in one unsynchronised set (`llama_model::loras`): loading and
// freeing an adapter insert into and erase from it, and a context's graph reservation iterates it (to size the graph).
// node-llama-cpp runs each of those on a thread of its own, so a load beside a free or beside another context's
// reservation corrupted the set and crashed the process (SIGSEGV in llama_adapter_lora_init_impl, seen after ~1,000
// adapters in `npm run proof`). Loads and frees therefore take this model's lock alone, and everything that may
// reserve shares it: context creation, and the one decode after each adapter change on a context (llama.cpp reserves
// at creation and at the first decode after `llama_set_adapters_lora` changed the set, never otherwise;
// loraSwap.guardReservingDecodes routes exactly those decodes through the lock). Every other decode runs unlocked, so
// a load waits for at most one decode of each other caller, not for its whole generation (holding the lock for whole
// calls made two concurrent episodes on 2 cores 1.09x one at a time). A free that would have to wait is left to the
// next load.
//
// With the native layer (src/core/native), generated adapters do not go through files at all: a small pool of loaded
// adapters per shape is updated in place (LoraPool), the lock is taken only where the pool grows, and an adapter may
// stay attached to an idle context so that the next call that takes it again does not re-attach (llama.cpp returns
// early when the same adapter is set at the same scale, and the next decode does not reserve again).
import { mkdtempSync } from "node:fs";
import { unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Llama, LlamaContext, LlamaContextOptions, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { encodeLoraAdapter } from "../adapters/writeLoraAdapter.ts";
import { checkAdapterFileFits, checkLoraFits } from "./checkAdapterFits.ts";
import type { LoraAdapter } from "../adapters/types.ts";
import type { NativeLayer } from "../native/nativeLayer.ts";
import { LoraPool, NativeCheckError, type PooledLora } from "./LoraPool.ts";
import { attachLora, detachLoras, freeLora, guardReservingDecodes, loadLora, selfTestLoraSwap, type LoadedLora } from "./loraSwap.ts";
import { ReadWriteLock } from "./ReadWriteLock.ts";
import type { AdapterSource } from "./types.ts";
import { usableContextSize } from "./contextSize.ts";
import { CallsUnderWay } from "./CallsUnderWay.ts";

/** Where generated adapters are written for llama.cpp to load; each file lives only until it is loaded. */
let scratchDir: string | null = null;
let scratchCounter = 0;
function scratchFile(): string {
  scratchDir ??= mkdtempSync(path.join(os.tmpdir(), "haps-adapters-"));
  return path.join(scratchDir, `${process.pid}-${++scratchCounter}.gguf`);
}

/** A context leased to one call; its sequence starts empty, or with its session's last tokens. */
export interface ContextLease {
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
  /**
   * Aborts when the caller's signal does or when the model is being disposed: a long call (a generation) passes it on
   * and ends early, and the dispose waits for it (see `LoadedModel.dispose`).
   */
  readonly signal: AbortSignal;
}

/** A call made on (or waiting for) a model that is being disposed. */
export class ModelDisposedError extends Error {
  constructor(readonly modelId: string) {
    super(`model "${modelId}" is being disposed (the runtime is shutting down)`);
    this.name = "ModelDisposedError";
  }
}

/** Contexts kept per model unless `maxContexts` says otherwise. */
export const DEFAULT_MAX_CONTEXTS = 4;

export interface LoadedModelOptions {
  threads: number;
  /**
   * Contexts kept per model (calls beyond this wait for a free one). Enough for two concurrent episodes whose agents
   * share a model, each keeping its cache. Defaults to DEFAULT_MAX_CONTEXTS.
   */
  maxContexts?: number;
  /** Context size in tokens, capped by the model's training context. Defaults to 2048. */
  contextSize?: number;
  /**
   * Tokens per llama.cpp decode. A prompt's first batch after an adapter change is the decode that must not overlap
   * an adapter load (see the file comment), so small batches keep loads from waiting: on the CPU 64 tokens prefill as
   * fast as 512 (585 tokens on a 2048-wide model, 1 thread: 507 vs 509 ms), and the guarded decode of a
   * keyword-benchmark call took ~3.4 ms instead of ~14 ms (its whole prompt). Defaults to 64 on the CPU,
   * node-llama-cpp's own (up to 512) on a GPU, where large batches prefill faster.
   */
  batchSize?: number;
  /** Embedding pooling this load was made for, if any (see LlamaRuntime.loadModel). */
  pooling?: "mean" | "last";
  /** Receives llama.cpp log lines while an adapter loads (to explain a failure). */
  takeRecentLog?: () => string[];
  /** The native layer: in-place adapters and malloc_trim when it is usable. Defaults to none (the file path). */
  native?: NativeLayer;
  /** Where this model says which adapter path it uses when that differs from the runtime's (a failed check). */
  log?: (level: string, message: string) => void;
}

/** One agent's run of calls on this model: its adapter loaded once, its KV cache kept where possible. */
export interface ModelSession {
  readonly id: symbol;
  readonly lora: LoadedLora | null;
  readonly scale: number;
  /** Set when the adapter comes from the in-place pool (it goes back there, not freed). */
  readonly pooled?: PooledLora;
}

/** A context with its one sequence, and whose cached tokens those are. */
interface Slot {
  context: LlamaContext;
  sequence: LlamaContextSequence;
  owner: symbol | null;
  /** The adapter llama.cpp has attached to this context, and its scale (an idle context may keep a pooled one). */
  attached: { lora: LoadedLora; scale: number } | null;
}

export class LoadedModel {
  readonly id: string;
  private readonly idle: Slot[] = [];
  /** Every context's slot, leased or idle (an evicted pooled adapter is detached from all of them). */
  private readonly slots: Slot[] = [];
  private readonly waiters: ((slot: Slot) => void)[] = [];
  private contextsCreated = 0;
  private selfTested = false;
  /** Adapter loads and frees write; context creation and reserving decodes read (see the file comment). */
  private readonly loraLock = new ReadWriteLock();
  /** Detached adapters whose free waits for the lock (see `free`). */
  private readonly unfreed: LoadedLora[] = [];
  /** In-place adapters, once the native layer's checks passed on this model's first context; else null. */
  private pool: LoraPool | null = null;
  private readonly retiredPools: LoraPool[] = [];
  /**
   * Calls and session operations under way; `dispose` frees the contexts only once none is left. Its signal aborts
   * when `dispose` starts: waiting calls leave the queue, running ones see it in their lease's signal.
   */
  private readonly calls = new CallsUnderWay();
  private disposed: Promise<void> | null = null;

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
    return usableContextSize(this.model.trainContextSize, this.options.contextSize);
  }

  /**
   * Runs `fn` on a context of its own, with `adapter` (if any) attached for exactly that call. The adapter is
   * checked against the model first, loaded, attached, and detached and freed afterwards, whatever `fn` does.
   * With a `session` instead, its adapter is attached and its cached tokens are kept (see the file comment).
   */
  async withContext<T>(
    adapter: AdapterSource | null,
    fn: (lease: ContextLease) => Promise<T>,
    signal?: AbortSignal,
    session?: ModelSession,
  ): Promise<T> {
    if (session != null && adapter != null) throw new Error("LoadedModel.withContext: a session brings its own adapter");
    return await this.busy(async () => {
      const leaseSignal = signal == null ? this.calls.signal : AbortSignal.any([signal, this.calls.signal]);
      // Check before taking a context, so a bad adapter never holds up other queries.
      if (adapter != null) await this.check(adapter);
      const slot = await this.acquire(leaseSignal, session?.id);
      return await this.runLeased(slot, adapter, fn, leaseSignal, session);
    });
  }

  /** Counts `fn` as a call under way (dispose waits for it); refused once the model is being disposed. */
  private async busy<T>(fn: () => Promise<T>): Promise<T> {
    return await this.calls.track(fn);
  }

  private async runLeased<T>(
    slot: Slot,
    adapter: AdapterSource | null,
    fn: (lease: ContextLease) => Promise<T>,
    signal: AbortSignal,
    session?: ModelSession,
  ): Promise<T> {
    let fileLora: LoadedLora | null = null;
    let pooled: PooledLora | null = null;
    try {
      if (slot.owner !== (session?.id ?? null) || session == null) {
        await slot.sequence.clearHistory();
        slot.owner = session?.id ?? null;
      }
      let lora: LoadedLora | null = session?.lora ?? null;
      if (adapter != null) {
        pooled = "lora" in adapter ? await this.takePooled(adapter.lora, slot.attached?.lora) : null;
        lora = pooled?.lora ?? (fileLora = await this.load(adapter));
      }
      this.attach(slot, lora, session?.scale ?? adapter?.scale ?? 1);
      // A dispose that started while this call set up its context: nothing was evaluated yet.
      signal.throwIfAborted();
      return await fn({ model: this.model, context: slot.context, sequence: slot.sequence, signal });
    } catch (error) {
      // A failed call may have left the sequence half-evaluated: nobody may reuse it.
      slot.owner = null;
      throw error;
    } finally {
      // An adapter that will be freed is detached first (freeing an attached adapter gives garbage output on the next
      // query); a pooled one may stay attached to the idle context.
      if (slot.attached != null && !(pooled != null || session?.pooled != null)) this.attach(slot, null, 0);
      if (fileLora != null) await this.free(fileLora);
      if (pooled != null) this.pool?.give(pooled);
      this.options.native?.trim();
      this.release(slot);
    }
  }

  /** Whether generated adapters on this model are updated in place (the native layer's checks passed). */
  get inPlaceAdapters(): boolean {
    return this.pool != null;
  }

  /** Makes `lora` (or none) the context's only adapter, unless it already is at that scale. */
  private attach(slot: Slot, lora: LoadedLora | null, scale: number): void {
    if (lora == null ? slot.attached == null : slot.attached?.lora === lora && slot.attached.scale === scale) return;
    if (lora == null) detachLoras(slot.context);
    else attachLora(slot.context, lora, scale);
    slot.attached = lora == null ? null : { lora, scale };
  }

  /** A pooled adapter holding `lora`, or null when this model has no pool (or it just failed its check). */
  private async takePooled(lora: LoraAdapter, prefer?: LoadedLora | null): Promise<PooledLora | null> {
    if (this.pool == null) return null;
    try {
      return await this.pool.take(lora, prefer);
    } catch (error) {
      if (!(error instanceof NativeCheckError)) throw new Error(`Model "${this.id}" refused adapter (generated): ${(error as Error).message}`);
      this.disableInPlace(error.message);
      return null;
    }
  }

  private disableInPlace(reason: string): void {
    if (this.pool == null && this.selfTested) return;
    // Its adapters stay loaded until the model is disposed (calls in flight may still hold some).
    if (this.pool != null) this.retiredPools.push(this.pool);
    this.pool = null;
    this.options.log?.("warn", `native layer check failed on model "${this.id}" (${reason}): its adapters go through files`);
  }

  /** Starts a session: its adapter is checked and loaded now, and stays loaded until `closeSession`. */
  async openSession(adapter: AdapterSource | null): Promise<ModelSession> {
    return await this.busy(async () => {
      if (adapter != null) await this.check(adapter);
      // The pool is set up with this model's first context.
      if (adapter != null && "lora" in adapter && !this.selfTested) this.release(await this.acquire(this.calls.signal));
      const pooled = adapter != null && "lora" in adapter ? await this.takePooled(adapter.lora) : null;
      if (pooled != null) return { id: Symbol("session"), lora: pooled.lora, scale: adapter?.scale ?? 1, pooled };
      return { id: Symbol("session"), lora: adapter == null ? null : await this.load(adapter), scale: adapter?.scale ?? 1 };
    });
  }

  /** Ends a session: its adapter is freed (it is attached to no context between calls) and its cache forgotten. */
  async closeSession(session: ModelSession): Promise<void> {
    // After a dispose began, the model frees every adapter itself.
    if (this.calls.signal.aborted) return;
    for (const slot of this.idle) if (slot.owner === session.id) slot.owner = null;
    if (session.pooled != null) this.pool?.give(session.pooled);
    else if (session.lora != null) await this.free(session.lora);
    this.options.native?.trim();
  }

  /**
   * A context of this model for a caller's own use (the router's sequence), created under the lock. It must never
   * carry an adapter: then llama.cpp reserves its graph only here, and its decodes need no lock (see the file comment).
   */
  async createContext(options: Pick<LlamaContextOptions, "contextSize" | "sequences">): Promise<LlamaContext> {
    const batchSize = this.options.batchSize ?? (this.llama.gpu === false ? 64 : undefined);
    return await this.loraLock.read(() =>
      this.model.createContext({ ...options, ...(batchSize == null ? {} : { batchSize }), threads: this.options.threads, failedCreationRemedy: false }),
    );
  }

  /**
   * Frees a detached adapter at once when nothing decodes on this model, else with the next load, which takes the
   * lock alone anyway: a free never waits for another caller's generation to end.
   */
  private async free(lora: LoadedLora): Promise<void> {
    this.unfreed.push(lora);
    await this.loraLock.writeIfFree(() => this.freeUnfreed());
  }

  private async freeUnfreed(): Promise<void> {
    for (const lora of this.unfreed.splice(0)) {
      // A failed free costs memory, not correctness: say so, and let the load or dispose that flushed it go on.
      await freeLora(lora).catch((error: Error) => process.emitWarning(`could not free an adapter of model "${this.id}": ${error.message}`, "HapsRuntimeWarning"));
    }
  }

  private async check(adapter: AdapterSource): Promise<void> {
    if ("path" in adapter) await checkAdapterFileFits(adapter.path, this.id, this.model.fileInfo);
    else checkLoraFits(adapter.lora, this.id, this.model.fileInfo);
  }

  /** llama.cpp loads adapters from files only: a generated one is written, loaded, and its file removed at once. */
  private async load(adapter: AdapterSource): Promise<LoadedLora> {
    const file = "path" in adapter ? adapter.path : scratchFile();
    try {
      if ("lora" in adapter) await writeFile(file, encodeLoraAdapter(adapter.lora));
      return await this.loraLock.write(async () => {
        await this.freeUnfreed();
        return await loadLora(this.model, file);
      });
    } catch (error) {
      const log = this.options.takeRecentLog?.().slice(-5).join(" | ");
      throw new Error(`Model "${this.id}" refused adapter ${"path" in adapter ? `"${file}"` : "(generated)"}: ${(error as Error).message}` + (log ? ` (llama.cpp: ${log})` : ""));
    } finally {
      if ("lora" in adapter) await unlink(file).catch(() => {});
    }
  }

  /**
   * A free context - the one holding `owner`'s cached tokens when it is free, else one holding nobody's - and waits
   * for one when all are leased, unless `signal` aborts first.
   */
  private async acquire(signal?: AbortSignal, owner?: symbol): Promise<Slot> {
    signal?.throwIfAborted();
    let at = owner == null ? -1 : this.idle.findIndex((s) => s.owner === owner);
    if (at < 0) at = this.idle.findIndex((s) => s.owner == null);
    if (at < 0 && this.contextsCreated >= (this.options.maxContexts ?? DEFAULT_MAX_CONTEXTS)) at = 0;
    if (at >= 0 && at < this.idle.length) return this.idle.splice(at, 1)[0];
    if (this.contextsCreated < (this.options.maxContexts ?? DEFAULT_MAX_CONTEXTS)) {
      this.contextsCreated++;
      try {
        const context = await this.createContext({ contextSize: this.contextSize, sequences: 1 });
        if (!this.selfTested) {
          selfTestLoraSwap(this.model, context);
          this.setUpPool(context);
          this.selfTested = true;
        }
        guardReservingDecodes(context, (decode) => this.loraLock.read(decode));
        const slot: Slot = { context, sequence: context.getSequence(), owner: null, attached: null };
        this.slots.push(slot);
        return slot;
      } catch (error) {
        this.contextsCreated--;
        throw error;
      }
    }
    return await new Promise<Slot>((resolve, reject) => {
      const waiter = (slot: Slot) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(slot);
      };
      const onAbort = () => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** The in-place pool, when the native layer is there and its checks pass on this model and its first context. */
  private setUpPool(context: LlamaContext): void {
    const native = this.options.native;
    if (native?.addon == null) return;
    const width = (this.model.fileInfo.architectureMetadata as { embedding_length?: number }).embedding_length ?? -1;
    const problem = native.selfTestModel(this.model, context, this.filePath, width);
    if (problem != null) {
      this.disableInPlace(problem);
      return;
    }
    this.pool = new LoraPool(this.model, native, (fn) => this.loraLock.write(async () => {
      await this.freeUnfreed();
      return await fn();
    }), scratchFile, (lora) => {
      for (const slot of this.slots) if (slot.attached?.lora === lora) this.attach(slot, null, 0);
    });
  }

  private release(slot: Slot): void {
    const waiter = this.waiters.shift();
    if (waiter != null) waiter(slot);
    else this.idle.push(slot);
  }

  /**
   * Frees the model, its contexts and adapters - after every call under way has ended. Calls waiting for a context are
   * refused (ModelDisposedError), running ones see their lease's signal abort (a generation stops early and returns
   * what it wrote), and the contexts are freed only when all of them have returned: freeing a context under a decode
   * in flight made that call reject with "Object is disposed" after its caller had gone. Idempotent.
   */
  /** Refuses new calls and aborts the running ones' signals (the first step of `dispose`). */
  refuseCalls(): void {
    this.calls.close(new ModelDisposedError(this.id));
  }

  async dispose(): Promise<void> {
    this.disposed ??= (async () => {
      this.refuseCalls();
      await this.calls.idle();
      for (const slot of this.slots) if (slot.attached != null) this.attach(slot, null, 0);
      await this.loraLock.write(async () => {
        await this.freeUnfreed();
        for (const pool of [this.pool, ...this.retiredPools]) await pool?.dispose();
      });
      await this.model.dispose();
    })();
    await this.disposed;
  }
}
