// Writes one chat completion in the OpenAI format: a single JSON object, or (with `stream: true`) server-sent events
// of `chat.completion.chunk` objects ending in `data: [DONE]`. A streamed answer always ends with a chunk that carries
// `usage` (empty `choices`), as `stream_options.include_usage` asks for, so that every client learns the token count.
import type { ServerResponse } from "node:http";

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export class ChatCompletionWriter {
  private content = "";
  private reasoning = "";
  private started = false;
  readonly created = Math.floor(Date.now() / 1000);

  constructor(
    readonly res: ServerResponse,
    readonly id: string,
    readonly model: string,
    readonly stream: boolean,
  ) {}

  /** Whether anything went out: from then on an error can only be reported inside the stream. */
  get headersSent(): boolean {
    return this.res.headersSent;
  }

  /** A piece of the answer (`content`) or of the agents' work (`reasoning_content`), with extra fields for the chunk. */
  delta(piece: { content?: string; reasoning_content?: string }, extra: Record<string, unknown> = {}): void {
    if (piece.content) this.content += piece.content;
    if (piece.reasoning_content) this.reasoning += piece.reasoning_content;
    if (!this.stream) return;
    this.begin();
    this.event({ ...this.chunk({ index: 0, delta: piece, finish_reason: null }), ...extra });
  }

  /** Ends the answer: the last chunk (or the whole object) with the finish reason, usage and extra fields. */
  finish(finishReason: "stop" | "length", usage: CompletionUsage, extra: Record<string, unknown> = {}): void {
    if (this.res.destroyed) return;
    if (!this.stream) {
      const message: Record<string, unknown> = { role: "assistant", content: this.content };
      if (this.reasoning) message.reasoning_content = this.reasoning;
      const body = { id: this.id, object: "chat.completion", created: this.created, model: this.model, choices: [{ index: 0, message, finish_reason: finishReason }], usage, ...extra };
      this.res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
      return;
    }
    this.begin();
    this.event(this.chunk({ index: 0, delta: {}, finish_reason: finishReason }));
    this.event({ ...this.chunk(null), usage, ...extra });
    this.res.end("data: [DONE]\n\n");
  }

  /** An error after the stream began: one event with the error object, then the end. */
  failInStream(error: { error: unknown }): void {
    if (this.res.destroyed) return;
    this.event(error);
    this.res.end("data: [DONE]\n\n");
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    this.event(this.chunk({ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }));
  }

  private chunk(choice: Record<string, unknown> | null): Record<string, unknown> {
    return { id: this.id, object: "chat.completion.chunk", created: this.created, model: this.model, choices: choice == null ? [] : [choice] };
  }

  private event(data: unknown): void {
    if (!this.res.destroyed) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }
}
