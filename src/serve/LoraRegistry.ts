// Adapters loaded at run time, as vLLM's runtime LoRA API does it, for the local candidate models `haps serve`
// offers: `POST /v1/load_lora_adapter {"lora_name", "lora_path"}` reads a PEFT folder (o_proj LoRA, as
// src/core/adapters/peftAdapter.ts writes them), after which `"model": "<lora_name>"` generates with the base model
// its `base_model_name_or_path` names plus that adapter; `POST /v1/unload_lora_adapter {"lora_name"}` forgets it.
// Paths are confined to one folder (`--lora-dir`): a client names files on the server's disk, so only that folder
// is readable through this API.
import { realpath } from "node:fs/promises";
import path from "node:path";
import { readPeftAdapter } from "../core/adapters/peftAdapter.ts";
import type { LoraAdapter } from "../core/adapters/types.ts";
import type { LocalCandidateConfig } from "../core/config/HapsConfig.ts";
import { readModelShape } from "../core/gguf/readModelShape.ts";
import type { ModelShape } from "../core/gguf/types.ts";
import { HttpError } from "./HttpError.ts";

/** Adapters held at once; loading one more is refused until one is unloaded. */
export const MAX_LOADED_ADAPTERS = 256;

export interface LoadedLora {
  name: string;
  /** The candidate whose model it adapts. */
  base: LocalCandidateConfig;
  adapter: LoraAdapter;
}

export class LoraRegistry {
  private readonly loaded = new Map<string, LoadedLora>();
  private readonly shapes = new Map<string, Promise<ModelShape>>();

  constructor(
    /** The folder adapters may be read from. */
    private readonly root: string,
    /** The local candidates, by id: the base models an adapter may name. */
    private readonly bases: ReadonlyMap<string, LocalCandidateConfig>,
    /** Names that are already models (the routed one, the candidates): an adapter may not take them. */
    private readonly reserved: ReadonlySet<string>,
  ) {}

  get(name: string): LoadedLora | undefined {
    return this.loaded.get(name);
  }

  list(): LoadedLora[] {
    return [...this.loaded.values()];
  }

  async load(body: unknown): Promise<LoadedLora> {
    const { lora_name: name, lora_path: lora } = (body ?? {}) as { lora_name?: unknown; lora_path?: unknown };
    if (typeof name !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(name))
      throw new HttpError(400, "lora_name: expected 1-128 letters, digits, '_', '.', ':' or '-'", "invalid_request_error", "lora_name");
    if (typeof lora !== "string" || lora === "") throw new HttpError(400, "lora_path: expected the adapter folder's path", "invalid_request_error", "lora_path");
    if (this.reserved.has(name)) throw new HttpError(400, `lora_name: "${name}" is the name of a served model`, "invalid_request_error", "lora_name");
    if (this.loaded.has(name)) throw new HttpError(400, `lora_name: the adapter "${name}" has already been loaded`, "invalid_request_error", "lora_name");
    if (this.loaded.size >= MAX_LOADED_ADAPTERS) throw new HttpError(400, `${MAX_LOADED_ADAPTERS} adapters are loaded: unload one first`);
    const dir = await this.confine(lora);
    let read;
    try {
      read = await readPeftAdapter(dir);
    } catch (error) {
      throw new HttpError(400, `lora_path: ${(error as Error).message}`, "invalid_request_error", "lora_path");
    }
    const base = this.bases.get(read.baseModel);
    if (base == null)
      throw new HttpError(400, `lora_path: adapter_config.json names base model "${read.baseModel}", which this server does not serve (its models: ${[...this.bases.keys()].join(", ")})`, "invalid_request_error", "lora_path");
    const shape = await this.shape(base);
    this.checkFits(read.adapter, base.id, shape);
    const entry = { name, base, adapter: read.adapter };
    this.loaded.set(name, entry);
    return entry;
  }

  unload(body: unknown): string {
    const name = (body as { lora_name?: unknown } | null)?.lora_name;
    if (typeof name !== "string") throw new HttpError(400, "lora_name: expected the name of a loaded adapter", "invalid_request_error", "lora_name");
    if (!this.loaded.delete(name)) throw new HttpError(404, `lora_name: no adapter "${name}" is loaded`, "not_found_error", "lora_name");
    return name;
  }

  /**
   * The real path of `lora`, which must lie inside the root folder (symbolic links followed). A path that does not
   * exist and one outside the folder get the same answer: a client must not learn what exists on the server's disk.
   */
  private async confine(lora: string): Promise<string> {
    const refused = () =>
      new HttpError(400, `lora_path: "${lora}" is not an adapter folder inside the folder this server reads adapters from (--lora-dir)`, "invalid_request_error", "lora_path");
    const root = await realpath(this.root).catch(() => {
      throw refused();
    });
    const real = await realpath(path.resolve(this.root, lora)).catch(() => {
      throw refused();
    });
    if (real !== root && !real.startsWith(`${root}${path.sep}`)) throw refused();
    return real;
  }

  private shape(base: LocalCandidateConfig): Promise<ModelShape> {
    let shape = this.shapes.get(base.id);
    if (shape == null) this.shapes.set(base.id, (shape = readModelShape(base.model)));
    return shape;
  }

  private checkFits(adapter: LoraAdapter, id: string, shape: ModelShape): void {
    const fail = (what: string) => new HttpError(400, `lora_path: the adapter does not fit model "${id}": ${what}`, "invalid_request_error", "lora_path");
    if (adapter.architecture !== shape.architecture) throw fail(`it is for architecture "${adapter.architecture}", the model is "${shape.architecture}"`);
    for (const layer of adapter.layers) {
      const o = shape.oProj.find((p) => p.layer === layer.layer);
      if (o == null) throw fail(`layer ${layer.layer} does not exist (the model has ${shape.blockCount} blocks)`);
      if (o.inWidth !== layer.inWidth || o.outWidth !== layer.outWidth)
        throw fail(`layer ${layer.layer}'s o_proj is ${o.inWidth} -> ${o.outWidth}, the adapter's is ${layer.inWidth} -> ${layer.outWidth}`);
    }
  }
}
