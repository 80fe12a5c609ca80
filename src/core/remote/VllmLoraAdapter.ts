// A per-query adapter delivered to a multi-LoRA engine through vLLM's runtime LoRA API:
//   1. the adapter is written in the PEFT layout to `<adapterDir>/<name>/` (a folder the server can read);
//   2. POST {baseUrl}/load_lora_adapter  {"lora_name": "<name>", "lora_path": "<serverAdapterDir>/<name>"};
//   3. chat completions name it in `model` ("model": "<name>");
//   4. POST {baseUrl}/unload_lora_adapter {"lora_name": "<name>"} after the episode, and the folder is removed.
// vLLM serves these routes when started with `--enable-lora --max-lora-rank >= r` and the environment variable
// `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`; `haps serve --lora-dir DIR` serves the same routes for its local models.
import { randomUUID } from "node:crypto";
import path from "node:path";
import { removePeftAdapter, writePeftAdapter } from "../adapters/peftAdapter.ts";
import type { LoraAdapter } from "../adapters/types.ts";
import type { OpenAiChatClient } from "./OpenAiChatClient.ts";

export interface VllmLoraOptions {
  /** Where this process writes the adapter folder. */
  adapterDir: string;
  /** The same folder as the server sees it. */
  serverAdapterDir: string;
  /** `base_model_name_or_path` of the PEFT files: the served base model's name. */
  baseModel: string;
  adapter: LoraAdapter;
  /** The attach scale, folded into lora_alpha. */
  scale: number;
}

export class VllmLoraAdapter {
  /** The adapter's name at the server (`lora_name`), unique per query and agent. */
  readonly name = `haps-${randomUUID()}`;
  private loaded: Promise<void> | null = null;

  constructor(
    private readonly client: OpenAiChatClient,
    private readonly options: VllmLoraOptions,
  ) {}

  /** Writes and loads the adapter once; later calls wait for that same load. */
  ensureLoaded(signal?: AbortSignal): Promise<void> {
    this.loaded ??= (async () => {
      await writePeftAdapter(this.localDir(), this.options.adapter, { baseModel: this.options.baseModel, scale: this.options.scale });
      await this.client.postJson("/load_lora_adapter", { lora_name: this.name, lora_path: path.posix.join(this.options.serverAdapterDir.split(path.sep).join("/"), this.name) }, signal);
    })();
    // A failed load may be tried again by the next call (the files are rewritten).
    this.loaded.catch(() => (this.loaded = null));
    return this.loaded;
  }

  /**
   * Unloads the adapter (if it was loaded) and removes its folder. Never throws: the episode's own result or error
   * matters more; an unload that fails leaves the adapter on the server until it restarts, and is returned as text.
   */
  async release(): Promise<string | null> {
    let problem: string | null = null;
    if (this.loaded != null) {
      const wasLoaded = await this.loaded.then(() => true, () => false);
      if (wasLoaded) await this.client.postJson("/unload_lora_adapter", { lora_name: this.name }).catch((error: Error) => (problem = error.message));
      this.loaded = null;
    }
    await removePeftAdapter(this.localDir()).catch(() => undefined);
    return problem;
  }

  private localDir(): string {
    return path.join(this.options.adapterDir, this.name);
  }
}
