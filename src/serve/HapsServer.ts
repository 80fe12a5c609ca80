// `haps serve`: the routed assistant behind an OpenAI-compatible HTTP API, on Node's own http module (four routes and
// server-sent events need no framework, and the module gives direct access to the disconnects that cancel a
// generation). Routes:
//   GET  /health                      {"status": "ok"}, without a token
//   GET  /v1/models                   "haps" (the routed assistant), each local candidate, each loaded adapter
//   POST /v1/chat/completions         "model": "haps" runs a routed episode; a candidate's id asks that model alone;
//                                     "stream": true answers in server-sent events
//   POST /v1/load_lora_adapter        vLLM's runtime LoRA API, with `loraDir` only (LoraRegistry.ts)
//   POST /v1/unload_lora_adapter
// It listens on 127.0.0.1 unless told otherwise; with a token, every route but /health needs
// `Authorization: Bearer <token>`. Web pages cannot drive it: on a loopback address only loopback Host names are
// answered, browser Origins must be on `allowOrigins`, and bodies must be `application/json` (requestGuard.ts). Requests run concurrently (the runtime shares contexts between them); past
// `maxConcurrent` running completions a request gets 429 with Retry-After. A client that disconnects cancels its
// generation inside llama.cpp.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LocalCandidateConfig } from "../core/config/HapsConfig.ts";
import { checkEpisodeRequest, EpisodeRequestError } from "../core/engine/checkEpisodeRequest.ts";
import type { HapsPipeline } from "../core/episode/HapsPipeline.ts";
import type { EpisodeEvent } from "../core/episode/types.ts";
import { RemoteCallError } from "../core/remote/RemoteCallError.ts";
import type { LlamaRuntime } from "../core/runtime/LlamaRuntime.ts";
import { PromptTooLongError } from "../core/runtime/PromptTooLongError.ts";
import { ChatCompletionWriter } from "./ChatCompletionWriter.ts";
import { parseChatRequest, type ChatRequest } from "./chatRequest.ts";
import { directChat } from "./directChat.ts";
import { HttpError } from "./HttpError.ts";
import { LoraRegistry } from "./LoraRegistry.ts";
import { printable } from "./printable.ts";
import { RequestGuard, requireJsonBody } from "./requestGuard.ts";
import { episodeRequestFromChat, episodeUsage, ROUTED_MODEL, routeSummary } from "./routedChat.ts";

export interface HapsServerOptions {
  pipeline: HapsPipeline;
  runtime: LlamaRuntime;
  /** The address to listen on. Defaults to `"127.0.0.1"` (this machine only). */
  host?: string;
  /** The port; 0 picks a free one. Defaults to `8080`. */
  port?: number;
  /** A bearer token every request but /health must carry. Defaults to none (no check). */
  token?: string;
  /** Chat completions running at once; more are answered 429 with Retry-After. Defaults to `4`. */
  maxConcurrent?: number;
  /** The Retry-After of a 429, in seconds. Defaults to `1`. */
  retryAfterSeconds?: number;
  /** The folder run-time adapters may be loaded from; without it the adapter routes answer 404. Defaults to none. */
  loraDir?: string;
  /** Largest request body, in bytes; larger ones get 413. Defaults to 4 MiB. */
  maxBodyBytes?: number;
  /** Browser origins whose pages may call the server (CORS), exact; others get 403. Defaults to none. */
  allowOrigins?: readonly string[];
  /**
   * Time a client has to send a whole request (headers and body), in ms; a slower one gets 408 and is disconnected.
   * An answer that streams for longer is not affected. Defaults to 30,000.
   */
  requestTimeoutMs?: number;
  /** Connections open at once; more are closed as they arrive. Defaults to 64. */
  maxConnections?: number;
  /** One line per request (method, path, model, status, time); never the token. Defaults to none. */
  log?: (line: string) => void;
}

export class HapsServer {
  private readonly server: Server;
  private readonly running = new Set<AbortController>();
  private readonly candidates: Map<string, LocalCandidateConfig>;
  private readonly loras: LoraRegistry | null;
  private readonly guard: RequestGuard;
  private chats = 0;
  private closing: Promise<void> | null = null;
  /** What the log line of a completion adds: its tokens, or that it was cancelled and after how many. */
  private readonly notes = new WeakMap<ServerResponse, string>();

  constructor(private readonly options: HapsServerOptions) {
    this.candidates = new Map(options.pipeline.config.candidates.filter((c): c is LocalCandidateConfig => c.kind === "local").map((c) => [c.id, c]));
    if (this.candidates.has(ROUTED_MODEL)) throw new Error(`serve: a candidate is called "${ROUTED_MODEL}", the name of the routed model; rename it`);
    this.loras = options.loraDir == null ? null : new LoraRegistry(options.loraDir, this.candidates, new Set([ROUTED_MODEL, ...this.candidates.keys()]));
    this.guard = new RequestGuard({ bindHost: options.host ?? "127.0.0.1", allowOrigins: options.allowOrigins });
    const requestTimeout = options.requestTimeoutMs ?? 30_000;
    // Node checks the request timeout every `connectionsCheckingInterval` ms: a fraction of it, so that it holds.
    this.server = createServer({ requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1_000, requestTimeout / 4)) }, (req, res) => void this.handle(req, res));
    // The request timeout ends once the request is in: streamed answers may be silent for a while between pieces
    // (llama.cpp's own pace decides), so no socket timeout applies to them.
    this.server.timeout = 0;
    this.server.maxConnections = options.maxConnections ?? 64;
  }

  /** Starts listening; resolves with the base URL of the API (`http://127.0.0.1:8080/v1`). */
  async listen(): Promise<string> {
    const host = this.options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 8080, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}/v1`;
  }

  /** Chat completions running now. */
  get activeCompletions(): number {
    return this.chats;
  }

  /** The model ids served: the routed assistant, then the local candidates. */
  modelIds(): string[] {
    return [ROUTED_MODEL, ...this.candidates.keys()];
  }

  /** Stops listening, cancels every running request and waits for the connections to end. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const controller of this.running) controller.abort(new Error("the server is shutting down"));
      this.server.closeIdleConnections();
      // Running answers end themselves once their generation stops; give them a moment, then cut what is left.
      setTimeout(() => this.server.closeAllConnections(), 500).unref();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://localhost");
    let model = "";
    try {
      if (this.guard.check(req, res)) return;
      if (url.pathname === "/health") {
        only(req, "GET");
        return json(res, 200, { status: "ok" });
      }
      this.authorize(req);
      switch (url.pathname) {
        case "/v1/models":
          only(req, "GET");
          return json(res, 200, { object: "list", data: this.models() });
        case "/v1/chat/completions": {
          only(req, "POST");
          requireJsonBody(req);
          const request = parseChatRequest(await readJson(req, this.options.maxBodyBytes ?? 4 << 20));
          model = request.model;
          return await this.chat(request, req, res);
        }
        case "/v1/load_lora_adapter":
        case "/v1/unload_lora_adapter": {
          only(req, "POST");
          if (this.loras == null) throw new HttpError(404, `${url.pathname}: run-time adapters are off (start haps serve with --lora-dir)`, "not_found_error");
          requireJsonBody(req);
          const body = await readJson(req, this.options.maxBodyBytes ?? 4 << 20);
          if (url.pathname === "/v1/load_lora_adapter") {
            const loaded = await this.loras.load(body);
            return text(res, 200, `Success: LoRA adapter '${loaded.name}' added successfully.`);
          }
          return text(res, 200, `Success: LoRA adapter '${this.loras.unload(body)}' removed successfully.`);
        }
        default:
          throw new HttpError(404, `no route ${req.method} ${url.pathname}`, "not_found_error");
      }
    } catch (error) {
      const http = asHttpError(error);
      if (!res.headersSent) json(res, http.status, http.body(), http.headers);
      else if (!res.writableEnded) res.end();
    } finally {
      const note = this.notes.get(res);
      this.options.log?.(`${req.method} ${url.pathname}${model ? ` ${printable(model)}` : ""} ${res.statusCode} ${(performance.now() - started).toFixed(0)} ms${note ? ` (${note})` : ""}`);
    }
  }

  private authorize(req: IncomingMessage): void {
    const token = this.options.token;
    if (token == null || token === "") return;
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    if (!sameToken(given, token))
      throw new HttpError(401, given === "" ? "missing bearer token (Authorization: Bearer <token>)" : "wrong bearer token", "authentication_error", null, { "www-authenticate": "Bearer" });
  }

  private models(): object[] {
    const created = Math.floor(Date.now() / 1000);
    return [
      { id: ROUTED_MODEL, object: "model", created, owned_by: "haps", haps: { kind: "routed", candidates: this.options.pipeline.config.candidates.map((c) => c.id) } },
      ...[...this.candidates.values()].map((c) => ({ id: c.id, object: "model", created, owned_by: "haps", haps: { kind: "candidate", open: c.open } })),
      ...(this.loras?.list() ?? []).map((l) => ({ id: l.name, object: "model", created, owned_by: "haps", parent: l.base.id, root: l.base.id, haps: { kind: "adapter" } })),
    ];
  }

  private async chat(request: ChatRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const lora = this.loras?.get(request.model);
    const candidate = lora?.base ?? this.candidates.get(request.model);
    if (request.model !== ROUTED_MODEL && candidate == null)
      throw new HttpError(404, `model: "${request.model}" is not served here (GET /v1/models lists ${this.modelIds().join(", ")})`, "not_found_error", "model");
    const max = this.options.maxConcurrent ?? 4;
    if (this.chats >= max) {
      const after = this.options.retryAfterSeconds ?? 1;
      throw new HttpError(429, `busy: ${this.chats} completions are running (at most ${max}); retry after ${after} s`, "rate_limit_error", null, { "retry-after": String(after) });
    }
    this.chats++;
    const controller = new AbortController();
    this.running.add(controller);
    // The client went away before the answer was complete: stop the generation.
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error("the client disconnected"));
    };
    res.on("close", onClose);
    req.on("close", () => req.readableAborted && onClose());
    const writer = new ChatCompletionWriter(res, `chatcmpl-${randomUUID()}`, request.model, request.stream === true);
    try {
      if (candidate != null) {
        const reply = await directChat(this.options.runtime, candidate, lora?.adapter ?? null, request, {
          signal: controller.signal,
          onText: writer.stream ? (piece) => writer.delta({ content: piece }) : undefined,
        });
        this.notes.set(res, `${controller.signal.aborted ? "cancelled after " : ""}${reply.promptTokens} + ${reply.outputTokens} tokens`);
        if (controller.signal.aborted) return;
        if (!writer.stream) writer.delta({ content: reply.text });
        writer.finish(reply.finishReason, { prompt_tokens: reply.promptTokens, completion_tokens: reply.outputTokens, total_tokens: reply.promptTokens + reply.outputTokens });
        return;
      }
      await this.routed(request, writer, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
      if (!writer.headersSent) throw error;
      writer.failInStream(asHttpError(error).body());
    } finally {
      this.chats--;
      this.running.delete(controller);
      res.off("close", onClose);
    }
  }

  private async routed(request: ChatRequest, writer: ChatCompletionWriter, signal: AbortSignal): Promise<void> {
    const { pipeline, runtime } = this.options;
    const episode = episodeRequestFromChat(request);
    await checkEpisodeRequest(runtime, pipeline.config, episode, { question: `messages[${request.messages.length - 1}].content`, choices: "haps.choices" });
    let speaker: string | null = null;
    const onEvent = (event: EpisodeEvent) => {
      if (!writer.stream) return;
      if (event.type === "assignment") writer.delta({}, { haps: { assignment: { choice: event.assignment.choice, probabilities: event.assignment.probabilities } } });
      if (event.type === "text") {
        // The agents' work streams as reasoning, each agent's turn headed by its role; the answer is the content.
        const head = event.role === speaker ? "" : `${speaker == null ? "" : "\n"}[${event.role}] `;
        speaker = event.role;
        writer.delta({ reasoning_content: head + event.text });
      }
    };
    const report = await pipeline.run(episode, { signal, onEvent });
    const usage = episodeUsage(report);
    this.notes.set(writer.res, `${signal.aborted ? "cancelled after " : ""}${usage.prompt_tokens} + ${usage.completion_tokens} tokens, ${report.transcript.length} turns`);
    if (signal.aborted) return;
    writer.delta({ content: report.answer });
    writer.finish("stop", usage, { haps: { route: routeSummary(report) } });
  }
}

/**
 * Whether a client's token is the server's, in time that tells nothing of either: their SHA-256 digests are compared
 * (comparing the strings themselves would return at once on a length difference, revealing the token's length).
 */
export function sameToken(given: string, token: string): boolean {
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(token).digest());
}

function only(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, `${req.method} is not allowed here; use ${method}`, "invalid_request_error", null, { allow: method });
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // The rest of the body is not read: the connection cannot carry another request and is closed after the answer.
    if (size > limit) throw new HttpError(413, `the request body is larger than ${limit} bytes`, "invalid_request_error", null, { connection: "close" });
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks).toString("utf8");
  if (body.trim() === "") throw new HttpError(400, "the request body is empty; send a JSON object");
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(body);
}

/** Known failures as their HTTP answers; anything else is a 500 with its message. */
function asHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof EpisodeRequestError || error instanceof PromptTooLongError) return new HttpError(400, (error as Error).message);
  // A remote candidate of this server's own configuration failed: the gateway's upstream, named in the message.
  if (error instanceof RemoteCallError) return new HttpError(502, error.message, "upstream_error");
  return new HttpError(500, (error as Error)?.message ?? String(error));
}
