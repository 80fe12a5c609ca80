// Per-query LoRA adapters through node-llama-cpp's internal members.
//
// Why internals: the public path (`createContext({lora})`) caches every adapter file in the model until the model
// is disposed (RSS grows ~0.5 MiB per distinct adapter) and cannot change a context's adapters. The internal path
// loads an adapter without the cache, attaches it to a live context in ~0.05 ms, and frees it afterwards, so memory
// stays flat (measured in shared NOTES). Everything internal is confined to this module; the version is pinned in
// package.json, and `selfTestLoraSwap` checks at start-up that the members still exist with the expected shapes,
// so a node-llama-cpp upgrade fails loudly here instead of silently elsewhere.
import type { LlamaContext, LlamaModel } from "node-llama-cpp";

/** The native adapter object (node-llama-cpp's `AddonModelLora`). */
interface NativeLora {
  readonly filePath: string;
  readonly disposed: boolean;
  dispose(): Promise<void>;
}

interface ModelInternals {
  _llama: { _bindings: { AddonModelLora: new (model: unknown, filePath: string) => NativeLora } };
  _model: { loadLora(lora: NativeLora): Promise<void> };
}

interface ContextInternals {
  _ctx: { setLoras(loras: NativeLora[], scales: number[]): void; decodeBatch(): Promise<void> };
}

/**
 * Contexts whose adapter set changed since their last decode. llama.cpp rebuilds a context's graph reservation at its
 * first decode after such a change (`llama_context::sched_reserve`, which sizes the graph by iterating the model's
 * unsynchronised adapter set), and at no other decode: only these decodes may not overlap an adapter load or free.
 */
const reserveDue = new WeakSet<LlamaContext>();

/** An adapter loaded for one model, not yet (or no longer) attached to any context. */
export interface LoadedLora {
  readonly filePath: string;
  /** @internal */
  readonly native: NativeLora;
}

function modelInternals(model: LlamaModel): ModelInternals {
  return model as unknown as ModelInternals;
}

function contextInternals(context: LlamaContext): ContextInternals {
  return context as unknown as ContextInternals;
}

/** Throws when the node-llama-cpp internals this module relies on are missing (e.g. after an upgrade). */
export function selfTestLoraSwap(model: LlamaModel, context: LlamaContext): void {
  const m = modelInternals(model);
  const c = contextInternals(context);
  const problems: string[] = [];
  if (typeof m._llama?._bindings?.AddonModelLora !== "function") problems.push("model._llama._bindings.AddonModelLora");
  if (typeof m._model?.loadLora !== "function") problems.push("model._model.loadLora");
  if (typeof c._ctx?.setLoras !== "function") problems.push("context._ctx.setLoras");
  if (typeof c._ctx?.decodeBatch !== "function") problems.push("context._ctx.decodeBatch");
  if (problems.length > 0)
    throw new Error(
      `node-llama-cpp internals used for per-query LoRA swapping are missing (${problems.join(", ")}); ` +
        "this module supports node-llama-cpp 3.21.1 exactly - check the pinned version.",
    );
  // Detaching everything is a no-op on a fresh context and proves the call signature works.
  c._ctx.setLoras([], []);
}

/** Loads an adapter file for `model` without node-llama-cpp's per-model cache (which never frees). */
export async function loadLora(model: LlamaModel, filePath: string): Promise<LoadedLora> {
  const m = modelInternals(model);
  const native = new m._llama._bindings.AddonModelLora(m._model, filePath);
  await m._model.loadLora(native);
  return { filePath, native };
}

/** Makes `lora` the only adapter of `context`. The caller must clear the sequence's cached tokens afterwards. */
export function attachLora(context: LlamaContext, lora: LoadedLora, scale: number): void {
  contextInternals(context)._ctx.setLoras([lora.native], [scale]);
  reserveDue.add(context);
}

/** Removes all adapters from `context`; its output is the base model's again. */
export function detachLoras(context: LlamaContext): void {
  contextInternals(context)._ctx.setLoras([], []);
  reserveDue.add(context);
}

/**
 * Runs every decode of `context` that follows an adapter change (attachLora, detachLoras) through `guard`, and every
 * other decode directly. node-llama-cpp dispatches a context's decodes one at a time, so the flag is cleared by the
 * decode that did the reservation; a failed decode leaves it set (the reservation may not have happened).
 */
export function guardReservingDecodes(context: LlamaContext, guard: (decode: () => Promise<void>) => Promise<void>): void {
  const native = contextInternals(context)._ctx;
  const decode = native.decodeBatch.bind(native);
  // The method is a read-only property of the native object's prototype: an own property shadows it.
  Object.defineProperty(native, "decodeBatch", {
    configurable: true,
    value: async () => {
      if (!reserveDue.has(context)) return await decode();
      await guard(decode);
      reserveDue.delete(context);
    },
  });
}

/** Whether `context`'s next decode will rebuild its graph reservation (see `reserveDue`). */
export function reservationDue(context: LlamaContext): boolean {
  return reserveDue.has(context);
}

/** Frees an adapter. It must not be attached to any context (freeing an attached adapter gives garbage output). */
export async function freeLora(lora: LoadedLora): Promise<void> {
  if (!lora.native.disposed) await lora.native.dispose();
}
