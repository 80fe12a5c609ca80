// The parts of the OpenAI chat-completions wire format that HAPS sends and reads (as client, src/core/remote, and as
// server, src/serve). Field names are the API's own.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** `response_format` for a JSON schema (OpenAI structured outputs; vLLM and llama-server read the same shape). */
export interface JsonSchemaResponseFormat {
  type: "json_schema";
  json_schema: { name: string; schema: object; strict?: boolean };
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_completion_tokens?: number;
  temperature?: number;
  seed?: number;
  stop?: string[];
  response_format?: JsonSchemaResponseFormat | { type: "text" | "json_object" };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  /** vLLM: continue the last (assistant) message instead of starting a new one. */
  continue_final_message?: boolean;
  /** vLLM: whether to open a new assistant turn; false with `continue_final_message`. */
  add_generation_prompt?: boolean;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

/** What one chat completion produced. */
export interface ChatResult {
  text: string;
  /** Null when the call was cancelled before the server reported it. */
  usage: Usage | null;
  finishReason: string | null;
  /** Content pieces received (a streamed reply); 1 for a whole reply. */
  pieces: number;
  /** True when the caller's signal ended the call; `text` then holds what had arrived. */
  aborted: boolean;
  attempts: number;
}
