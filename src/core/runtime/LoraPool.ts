// Adapters updated in place: per adapter shape (layers, widths, ranks, alpha) a few adapters are loaded once from a
// zero-filled file, and each query writes its generated A and B into a free one (ggml_backend_tensor_set through the
// native layer), attaches it, and hands it back afterwards. No file, no load and no free per query, so llama.cpp's
// adapter set (`llama_model::loras`) changes only when the pool grows - the one place that takes LoadedModel's lock
// alone - and its memory stays flat without any allocator setting.
//
// The scale: alpha stays in the adapter (the pool keys on it) and the query's scale is the attach scale, so llama.cpp
// computes scale * alpha / rank exactly as for a file with the same A, B and alpha: the logits are bit-identical to
// the file path's (test/core/runtime/inPlaceLora.test.ts). Folding the scale into B instead would change the rounding.
//
// An adapter is written only while no context decodes with it: it is taken by one call (or session) at a time, and a
// context that still has it attached from an earlier call is idle until its next call attaches its own (LoadedModel
// attaches or detaches before every decode).
import { writeFile, unlink } from "node:fs/promises";
import type { LlamaModel } from "node-llama-cpp";
import { loraTensors, validateLoraAdapter } from "../adapters/writeLoraAdapter.ts";
import { encodeLoraAdapter } from "../adapters/writeLoraAdapter.ts";
import type { LoraAdapter } from "../adapters/types.ts";
import type { NativeLayer } from "../native/nativeLayer.ts";
import { freeLora, loadLora, type LoadedLora } from "./loraSwap.ts";

/** An adapter of the pool, taken by one call or session. */
export interface PooledLora {
  readonly key: string;
  readonly lora: LoadedLora;
}

/**
 * Pooled adapters kept per model beyond which a new one evicts free adapters of other shapes (a client that sends a
 * new shape with every query must not grow memory without bound; one shape needs at most one adapter per context and
 * session in flight).
 */
export const LORA_POOL_LIMIT = 16;

export class LoraPool {
  private readonly free = new Map<string, PooledLora[]>();
  private readonly all: PooledLora[] = [];
  /** Loads so far (the pool's size; `npm run bench` reports it). */
  get size(): number {
    return this.all.length;
  }

  constructor(
    private readonly model: LlamaModel,
    private readonly native: NativeLayer,
    /** Runs `fn` holding the model's adapter lock alone (LoadedModel). */
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
    private readonly scratchFile: () => string,
    /** Called (under the lock) before an evicted adapter is freed: no context may keep it attached. */
    private readonly onEvict: (lora: LoadedLora) => void = () => {},
  ) {}

  /**
   * A free adapter of `lora`'s shape holding `lora`'s A and B (`prefer` when it is free: the adapter a context still
   * has attached, which then needs no re-attach). Throws on an adapter that does not validate, or when a new pooled
   * adapter fails its check (the caller then uses the file path).
   */
  async take(lora: LoraAdapter, prefer?: LoadedLora | null): Promise<PooledLora> {
    const alpha = validateLoraAdapter(lora);
    const layers = [...lora.layers].sort((x, y) => x.layer - y.layer);
    const key = `${lora.architecture}|${Math.fround(alpha)}|${layers.map((l) => `${l.layer}:${l.inWidth}x${l.rank}x${l.outWidth}`).join(",")}`;
    const free = this.free.get(key) ?? [];
    let at = prefer == null ? -1 : free.findIndex((p) => p.lora === prefer);
    if (at < 0) at = free.length - 1;
    const pooled = at >= 0 ? free.splice(at, 1)[0] : await this.grow(key, lora, alpha);
    try {
      const tensors = layers.flatMap((l) => loraTensors(l));
      this.native.addon!.writeLora(pooled.lora.native, tensors.map((t) => t.name), tensors.map((t) => t.data));
    } catch (error) {
      this.give(pooled);
      throw error;
    }
    return pooled;
  }

  /** Returns an adapter to the pool (it may stay attached to an idle context). */
  give(pooled: PooledLora): void {
    const free = this.free.get(pooled.key);
    if (free == null) this.free.set(pooled.key, [pooled]);
    else free.push(pooled);
  }

  /** Frees every pooled adapter; no context may use them any more (the model is being disposed). */
  async dispose(): Promise<void> {
    for (const p of this.all.splice(0)) await freeLora(p.lora);
    this.free.clear();
  }

  /** Frees free adapters of shapes other than `key`, oldest first, until a new one fits under LORA_POOL_LIMIT. */
  private async evict(key: string): Promise<void> {
    for (const [k, free] of this.free) {
      while (k !== key && free.length > 0 && this.all.length >= LORA_POOL_LIMIT) {
        const victim = free.shift()!;
        this.all.splice(this.all.indexOf(victim), 1);
        this.onEvict(victim.lora);
        await freeLora(victim.lora);
      }
      if (free.length === 0) this.free.delete(k);
    }
  }

  /** Loads one more adapter of this shape from a zero-filled file, and checks what the native layer sees of it. */
  private async grow(key: string, lora: LoraAdapter, alpha: number): Promise<PooledLora> {
    const zeros: LoraAdapter = {
      architecture: lora.architecture,
      alpha,
      layers: lora.layers.map((l) => ({ ...l, a: new Float32Array(l.a.length), b: new Float32Array(l.b.length) })),
    };
    const file = this.scratchFile();
    await writeFile(file, encodeLoraAdapter(zeros));
    try {
      const loaded = await this.exclusive(async () => {
        await this.evict(key);
        return await loadLora(this.model, file);
      });
      const expected = new Map(zeros.layers.flatMap((l) => loraTensors(l)).map((t) => [t.name, t.dims] as [string, [number, number]]));
      const problem = this.native.checkPooledLora(this.model, loaded.native, file, alpha, expected);
      if (problem != null) {
        await this.exclusive(() => freeLora(loaded));
        throw new NativeCheckError(problem);
      }
      const pooled = { key, lora: loaded };
      this.all.push(pooled);
      return pooled;
    } finally {
      await unlink(file).catch(() => {});
    }
  }
}

/** The native layer's view of a pooled adapter did not match: the model goes back to the file path. */
export class NativeCheckError extends Error {
  override name = "NativeCheckError";
}
