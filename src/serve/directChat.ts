// A chat completion from one local candidate model (optionally with a run-time loaded adapter), as any
// OpenAI-compatible server gives it. A conversation shaped like one agent call (system messages, one user message,
// optionally an assistant message to continue) goes through LlamaAgentEndpoint, exactly as a local candidate in an
// episode is asked, so a model served here answers a remote-candidate call as it would answer locally. Longer
// conversations go through the model's chat template.
import type { LoraAdapter } from "../core/adapters/types.ts";
import type { LocalCandidateConfig } from "../core/config/HapsConfig.ts";
import { LlamaAgentEndpoint } from "../core/protocols/LlamaAgentEndpoint.ts";
import { JsonSchemaError } from "../core/runtime/JsonSchemaError.ts";
import type { LlamaRuntime } from "../core/runtime/LlamaRuntime.ts";
import { messageText, type ChatRequest } from "./chatRequest.ts";
import { HttpError } from "./HttpError.ts";

/** A completion's output limit when the request sets none. */
export const DEFAULT_MAX_TOKENS = 256;

export interface DirectReply {
  text: string;
  promptTokens: number;
  outputTokens: number;
  finishReason: "stop" | "length";
}

export async function directChat(...args: Parameters<typeof chatWithModel>): Promise<DirectReply> {
  return chatWithModel(...args).catch((error: unknown) => {
    // The schema is the client's: its fault, named by its field.
    if (error instanceof JsonSchemaError) throw new HttpError(400, `response_format.json_schema.schema: ${error.message}`, "invalid_request_error", "response_format.json_schema.schema");
    throw error;
  });
}

async function chatWithModel(
  runtime: LlamaRuntime,
  candidate: LocalCandidateConfig,
  adapter: LoraAdapter | null,
  request: ChatRequest,
  hooks: { signal: AbortSignal; onText?: (text: string) => void },
): Promise<DirectReply> {
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? DEFAULT_MAX_TOKENS;
  const stop = request.stop == null ? undefined : (typeof request.stop === "string" ? [request.stop] : request.stop).filter((s) => s.length > 0);
  const format = request.response_format;
  const jsonSchema = format == null || format.type === "text" ? undefined : format.type === "json_schema" ? (format as { json_schema: { schema: object } }).json_schema.schema : { type: "object" };
  const source = adapter == null ? undefined : { lora: adapter, scale: 1 };
  const messages = request.messages.map((m) => ({ role: m.role === "developer" ? ("system" as const) : m.role, content: messageText(m) }));
  const system = messages.filter((m) => m.role === "system").map((m) => m.content);
  const turns = messages.filter((m) => m.role !== "system");
  const oneCall = (turns.length === 1 && turns[0].role === "user") || (turns.length === 2 && turns[0].role === "user" && turns[1].role === "assistant");
  if (oneCall) {
    const endpoint = new LlamaAgentEndpoint(runtime, {
      role: "student",
      modelPath: candidate.model,
      modelId: candidate.id,
      adapter: source,
      temperature: request.temperature ?? 0,
      seed: request.seed ?? 0,
      maxTokens,
    });
    const reply = await endpoint.call(
      { system: system.length > 0 ? system.join("\n\n") : undefined, prompt: turns[0].content, prefix: turns[1]?.content || undefined, stop, maxTokens, jsonSchema },
      hooks,
    );
    return { text: reply.text, promptTokens: reply.promptTokens, outputTokens: reply.outputTokens, finishReason: reply.outputTokens >= maxTokens ? "length" : "stop" };
  }
  if (!(await runtime.hasChatTemplate(candidate.model)))
    throw new HttpError(400, `messages: model "${candidate.id}" has no chat template; send system messages, one user message and optionally an assistant message to continue`, "invalid_request_error", "messages");
  const result = await runtime.generate(
    { modelPath: candidate.model, chat: messages, maxTokens, temperature: request.temperature ?? 0, seed: request.seed ?? 0, stop, jsonSchema, adapter: source },
    hooks,
  );
  return { text: result.text, promptTokens: result.promptTokens, outputTokens: result.outputTokens, finishReason: result.stopReason === "maxTokens" ? "length" : "stop" };
}
