import path from "node:path";
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { AdapterSource } from "../runtime/types.ts";
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
}

/**
 * An agent served by the one llama.cpp runtime. The prompt is plain text (system text, a blank line, the prompt,
 * then the reply's prefix) rather than a chat template: the small base models we route between have no template,
 * and a raw prompt is the only way to have the model continue a given prefix.
 */
export class LlamaAgentEndpoint implements AgentEndpoint {
  readonly role: AgentRole;
  readonly modelId: string;

  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly options: LlamaAgentOptions,
  ) {
    this.role = options.role;
    this.modelId = options.modelId ?? path.basename(options.modelPath).replace(/\.gguf$/i, "");
  }

  async call(request: AgentCall, hooks: AgentCallHooks = {}): Promise<AgentReply> {
    const prompt = `${request.system ? `${request.system}\n\n` : ""}${request.prompt}\n${request.prefix ?? ""}`;
    const result = await this.runtime.generate(
      {
        modelPath: this.options.modelPath,
        prompt,
        maxTokens: request.maxTokens ?? this.options.maxTokens ?? 256,
        temperature: this.options.temperature ?? 0,
        seed: this.options.seed ?? 0,
        stop: request.stop,
        jsonSchema: request.jsonSchema,
        adapter: this.options.adapter,
      },
      hooks,
    );
    return { text: result.text, promptTokens: result.promptTokens, outputTokens: result.outputTokens, ms: result.ms };
  }
}
