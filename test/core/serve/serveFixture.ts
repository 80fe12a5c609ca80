// A real `haps serve` for tests: the embedded models on one runtime, behind HapsServer on a free loopback port.
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { HapsServer, type HapsServerOptions } from "../../../src/serve/HapsServer.ts";
import { tempDir } from "../runtime/helpers.ts";

export interface ServeFixture {
  /** The API's base URL, `http://127.0.0.1:PORT/v1`. */
  url: string;
  server: HapsServer;
  runtime: LlamaRuntime;
  pipeline: HapsPipeline;
  config: HapsConfig;
  /** Requests logged by the server, one line each. */
  log: string[];
  close(): Promise<void>;
}

/** The embedded models' configuration with short turns (48 tokens), so that episodes stay quick. */
export async function embeddedConfig(): Promise<HapsConfig> {
  return { ...defaultConfig(await ensureDefaultModels(tempDir("models"))), maxTokens: 48 };
}

export async function startServe(options: Partial<HapsServerOptions> = {}, config?: HapsConfig, runtime?: LlamaRuntime): Promise<ServeFixture> {
  const ownRuntime = runtime == null;
  runtime ??= await LlamaRuntime.create({ gpu: false, threads: 1 });
  config ??= await embeddedConfig();
  const pipeline = await HapsPipeline.create(runtime, config);
  const log: string[] = [];
  const server = new HapsServer({ pipeline, runtime, port: 0, log: (line) => log.push(line), ...options });
  const url = await server.listen();
  return {
    url,
    server,
    runtime,
    pipeline,
    config,
    log,
    async close() {
      await server.close();
      if (ownRuntime) await runtime!.dispose();
    },
  };
}

/** POSTs JSON to `${url}${path}`; resolves with the status, the headers and the parsed (or raw) body. */
export async function postJson(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }).catch((e) => { throw new Error(`${e.message}: ${e.cause?.message ?? e.cause}`); });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a stream or plain text
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** The `data:` payloads of a server-sent-event stream, parsed (the final `[DONE]` as the string). */
export function sseEvents(text: string): any[] {
  return text
    .split("\n\n")
    .map((block) => block.trim())
    .filter((block) => block.startsWith("data: "))
    .map((block) => {
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? data : JSON.parse(data);
    });
}
