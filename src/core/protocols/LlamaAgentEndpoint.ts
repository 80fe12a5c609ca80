import path from "node:path";
import type { GenerationSession, LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { AdapterSource, GenerateRequest } from "../runtime/types.ts";
import type { AgentCall, AgentCallHooks, AgentEndpoint, AgentReply, AgentRole } from "./types.ts";

/** How an agent is bound to a local model. */
export interface LlamaAgentOptions {
  role: AgentRole;
  /** The model's GGUF file. */
  modelPath: string;
  /** The name in token accounting. Defaults to the file name without `.gguf`. */
  modelId?: string;
  /** This query's LoRA adapter for the agent (a file or a generated adapter). Defaults to none (the base model). */
  adapter?: AdapterSource;
  /** 0 is greedy. Defaults to `0`. */
  temperature?: number;
  /** Defaults to `0`. */
  seed?: number;
  /** Output token limit when a call gives none. Defaults to `256`. */
  maxTokens?: number;
  /**
   * `chat`: system and prompt as chat messages through the model file's chat template, the reply's prefix as the
   * start of the assistant's message (instruction-tuned models answer far better in their own format); `raw`: plain
   * text (system text, a blank line, the prompt, then the prefix), for base models; `auto`: `chat` when the model
   * file has a chat template. Defaults to `"auto"`.
   */
  promptFormat?: "auto" | "chat" | "raw";
  /**
   * Keep the KV cache between this agent's calls (one generation session for the endpoint's life; `close()` ends
   * it): a turn then evaluates only what its prompt does not share with the agent's previous one. Defaults to `false`.
   */
  reuseCache?: boolean;
}

/** An agent served by the one llama.cpp runtime. */
export class LlamaAgentEndpoint implements AgentEndpoint {
  readonly role: AgentRole;
  readonly modelId: string;
  private session: Promise<GenerationSession> | null = null;

  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly options: LlamaAgentOptions,
  ) {
    this.role = options.role;
    this.modelId = options.modelId ?? path.basename(options.modelPath).replace(/\.gguf$/i, "");
  }

  async call(request: AgentCall, hooks: AgentCallHooks = {}): Promise<AgentReply> {
    const format = this.options.promptFormat ?? "auto";
    const chat = format === "chat" || (format === "auto" && (await this.runtime.hasChatTemplate(this.options.modelPath)));
    const input: Pick<GenerateRequest, "prompt" | "chat"> = chat
      ? {
          chat: [
            ...(request.system ? [{ role: "system" as const, content: request.system }] : []),
            { role: "user" as const, content: request.prompt },
            // An unfinished assistant message: the template leaves it open and the model continues it.
            ...(request.prefix ? [{ role: "assistant" as const, content: request.prefix }] : []),
          ],
        }
      : { prompt: `${request.system ? `${request.system}\n\n` : ""}${request.prompt}\n${request.prefix ?? ""}` };
    const generation = {
      modelPath: this.options.modelPath,
      ...input,
      maxTokens: request.maxTokens ?? this.options.maxTokens ?? 256,
      temperature: this.options.temperature ?? 0,
      seed: this.options.seed ?? 0,
      stop: request.stop,
      jsonSchema: request.jsonSchema,
    };
    let result;
    if (this.options.reuseCache) {
      this.session ??= this.runtime.openSession(this.options.modelPath, this.options.adapter ?? null);
      result = await (await this.session).generate(generation, hooks);
    } else {
      result = await this.runtime.generate({ ...generation, adapter: this.options.adapter }, hooks);
    }
    return { text: result.text, promptTokens: result.promptTokens, cachedTokens: result.cachedTokens, outputTokens: result.outputTokens, ms: result.ms };
  }

  /** Ends the cache session, if one was opened (frees its adapter). */
  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    await (await session?.catch(() => null))?.close();
  }
}
