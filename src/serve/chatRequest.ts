// Validation of `POST /v1/chat/completions` bodies: the OpenAI fields HAPS honours, the ones it refuses with a reason
// (tools, several choices), and the `haps` extension for routed requests. Any problem is a 400 naming the field.
import { z } from "zod";
import { CONFIG_LIMITS } from "../core/config/configLimits.ts";
import { HttpError } from "./HttpError.ts";

const textPart = z.object({ type: z.literal("text"), text: z.string() }).passthrough();

const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant"], { error: 'expected "system", "developer", "user" or "assistant" (tool messages are not supported)' }),
    content: z.union([z.string(), z.array(textPart)], { error: 'expected a string or an array of {"type": "text", "text": ...} parts' }),
    name: z.string().optional(),
  })
  .passthrough();

const jsonSchemaFormat = z.object({
  type: z.literal("json_schema"),
  json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()), strict: z.boolean().nullable().optional() }).passthrough(),
});

export const chatRequestSchema = z
  .object({
    model: z.string().min(1, "name a model (GET /v1/models lists them)"),
    messages: z.array(message).min(1, "give at least one message"),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullable().optional(),
    max_tokens: z.number().int().min(1).max(CONFIG_LIMITS.maxTokens).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).max(CONFIG_LIMITS.maxTokens).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    seed: z.number().int().nullable().optional(),
    stop: z.union([z.string(), z.array(z.string()).max(16)]).nullable().optional(),
    response_format: z.union([jsonSchemaFormat, z.object({ type: z.enum(["text", "json_object"]) }).passthrough()]).nullable().optional(),
    n: z.literal(1, { error: "only one choice per request (n = 1)" }).nullable().optional(),
    tools: z.array(z.unknown()).max(0, "tools are not supported").nullable().optional(),
    functions: z.array(z.unknown()).max(0, "functions are not supported").nullable().optional(),
    /** vLLM's way to continue the last assistant message; here a last assistant message is always continued. */
    continue_final_message: z.boolean().optional(),
    add_generation_prompt: z.boolean().optional(),
    /** Routed requests only (model "haps"): what the OpenAI format has no field for. */
    haps: z
      .object({
        /** Answer options: 2 to 4 make it a multiple-choice question, answered with a letter. */
        choices: z.array(z.string()).optional(),
        /** The cost preference for this request. Defaults to the configuration's. */
        alpha: z.number().min(0).max(CONFIG_LIMITS.alpha).optional(),
        /** Paragraphs to search, besides the earlier messages. */
        context: z.array(z.object({ title: z.string(), sentences: z.array(z.string()) }).strict()).optional(),
      })
      .strict()
      .optional(),
  })
  .passthrough();

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatRequestMessage = ChatRequest["messages"][number];

/** Parses a request body or throws a 400 HttpError naming the first wrong field (`messages[1].role: ...`). */
export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("") || null;
  const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem${parsed.error.issues.length > 2 ? "s" : ""})` : "";
  throw new HttpError(400, `${param ?? "body"}: ${issue.message}${more}`, "invalid_request_error", param);
}

/** A message's text: the string, or its text parts joined. */
export function messageText(m: ChatRequestMessage): string {
  return typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("");
}
