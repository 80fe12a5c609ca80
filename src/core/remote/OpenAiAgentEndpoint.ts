// An agent served by a model behind an OpenAI-compatible API. It is the remote counterpart of LlamaAgentEndpoint:
// the same AgentCall in, the same AgentReply out, with the token counts taken from the response's `usage`.
//
// What the server must support: POST /chat/completions with `messages`, `max_completion_tokens`, `temperature`,
// `seed`, `stop`; `usage` in the answer (and in the last event of a stream, `stream_options.include_usage`); with
// `structuredOutput: "json_schema"`, `response_format: {type: "json_schema", json_schema: {name, schema, strict}}`
// enforcing JSON schemas with object properties, `required`, `additionalProperties: false`, `enum`, `const` and
// string `maxLength` (protocols/actionSchemas.ts). An open candidate's server must also load adapters at run time
// (VllmLoraAdapter.ts).
import type { LoraAdapter } from "../adapters/types.ts";
import type { OpenAiCandidateConfig } from "../config/HapsConfig.ts";
import { checkKeyTransport } from "../host/keyOrigin.ts";
import type { AgentCall, AgentCallHooks, AgentEndpoint, AgentReply, AgentRole } from "../protocols/types.ts";
import { OpenAiChatClient } from "./OpenAiChatClient.ts";
import type { ChatCompletionRequest, ChatMessage } from "./types.ts";
import { VllmLoraAdapter } from "./VllmLoraAdapter.ts";

export interface OpenAiAgentOptions {
  role: AgentRole;
  candidate: OpenAiCandidateConfig;
  /** This query's adapter (open candidates only). Defaults to none (the base model). */
  adapter?: { lora: LoraAdapter; scale: number };
  /** Output token limit when a call gives none. Defaults to `256`. */
  maxTokens?: number;
  /** 0 is greedy. Defaults to `0`. */
  temperature?: number;
  /** Defaults to `0`. */
  seed?: number;
  /** The API key; defaults to the environment variable the candidate's `apiKeyEnv` names. */
  apiKey?: string;
  /** Where the environment is read. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export class OpenAiAgentEndpoint implements AgentEndpoint {
  readonly role: AgentRole;
  readonly modelId: string;
  private readonly client: OpenAiChatClient;
  private readonly lora: VllmLoraAdapter | null;

  constructor(private readonly options: OpenAiAgentOptions) {
    const c = options.candidate;
    this.role = options.role;
    this.modelId = c.id;
    let apiKey = options.apiKey;
    if (apiKey == null && c.apiKeyEnv != null) {
      apiKey = (options.env ?? process.env)[c.apiKeyEnv];
      if (apiKey == null || apiKey === "") throw new Error(`candidate "${c.id}": the environment variable ${c.apiKeyEnv} (its apiKeyEnv) is not set; set it to the API key`);
    }
    // Whatever store the key came from, it never goes over plain http to another machine.
    if (apiKey != null && apiKey !== "") checkKeyTransport(c.baseUrl, c.id);
    this.client = new OpenAiChatClient({ baseUrl: c.baseUrl, apiKey, who: c.id, timeoutMs: c.timeoutMs, retries: c.retries, retryDelayMs: c.retryDelayMs });
    if (options.adapter != null && !c.open) throw new Error(`candidate "${c.id}" is closed: it takes no adapter`);
    this.lora =
      options.adapter == null
        ? null
        : new VllmLoraAdapter(this.client, {
            adapterDir: c.lora!.adapterDir,
            serverAdapterDir: c.lora!.serverAdapterDir ?? c.lora!.adapterDir,
            baseModel: c.model,
            adapter: options.adapter.lora,
            scale: options.adapter.scale,
          });
  }

  async call(request: AgentCall, hooks: AgentCallHooks = {}): Promise<AgentReply> {
    const started = performance.now();
    const c = this.options.candidate;
    await this.lora?.ensureLoaded(hooks.signal);
    const body: ChatCompletionRequest = {
      model: this.lora?.name ?? c.model,
      messages: this.messages(request),
      max_completion_tokens: request.maxTokens ?? this.options.maxTokens ?? 256,
      temperature: this.options.temperature ?? 0,
      seed: this.options.seed ?? 0,
    };
    const stop = request.stop?.filter((s) => s.length > 0);
    if (stop != null && stop.length > 0) body.stop = stop;
    if (request.jsonSchema != null && c.structuredOutput === "json_schema")
      body.response_format = { type: "json_schema", json_schema: { name: "haps_reply", schema: request.jsonSchema, strict: true } };
    if (request.prefix && c.prefill === "continue") Object.assign(body, { continue_final_message: true, add_generation_prompt: false });
    const result = await this.client.chat(body, { signal: hooks.signal, onText: hooks.onText });
    let text = result.text;
    // Asked in the prompt to begin with the prefix, a model may or may not write it: the reply excludes it either way.
    if (request.prefix && c.prefill === "none" && text.trimStart().startsWith(request.prefix.trim())) text = text.trimStart().slice(request.prefix.trim().length);
    return {
      text,
      // A cancelled call has no usage report: the pieces streamed are the best count of what was generated.
      promptTokens: result.usage?.prompt_tokens ?? 0,
      outputTokens: result.usage?.completion_tokens ?? result.pieces,
      ms: performance.now() - started,
    };
  }

  /** Unloads this query's adapter from the server; resolves with a problem to report, or null. */
  async release(): Promise<string | null> {
    return (await this.lora?.release()) ?? null;
  }

  private messages(request: AgentCall): ChatMessage[] {
    const messages: ChatMessage[] = [];
    if (request.system) messages.push({ role: "system", content: request.system });
    const prefill = this.options.candidate.prefill;
    if (request.prefix && prefill === "none") {
      messages.push({ role: "user", content: `${request.prompt}\n\nBegin your reply with "${request.prefix}".` });
    } else {
      messages.push({ role: "user", content: request.prompt });
      // An unfinished assistant message: the server continues it (llama-server does by itself, vLLM when asked).
      if (request.prefix) messages.push({ role: "assistant", content: request.prefix });
    }
    return messages;
  }
}
