// What `haps serve` runs: the pipeline opened once, an HTTP server in front of it, until Ctrl-C.
import { openPipeline } from "../../core/episode/openPipeline.ts";
import { isLoopbackHost } from "../../core/host/keyOrigin.ts";
import { HapsServer } from "../../serve/HapsServer.ts";
import { announceDefaultModels } from "../announceDefaultModels.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { downloadBar } from "../download/downloadBar.ts";

export async function runServe(args: string[], { signal }: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, {
    config: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "token-env": { type: "string" },
    "max-concurrent": { type: "string" },
    "lora-dir": { type: "string" },
    "allow-origin": { type: "string", multiple: true },
    download: { type: "boolean" },
  });
  const port = integer(values.port, "--port", 0, 65_535) ?? 8080;
  const maxConcurrent = integer(values["max-concurrent"], "--max-concurrent", 1, 1_024);
  let token: string | undefined;
  if (typeof values["token-env"] === "string") {
    token = process.env[values["token-env"]];
    if (token == null || token === "") throw new Error(`--token-env: the environment variable ${values["token-env"]} is not set (or empty)`);
  }
  const host = values.host ?? "127.0.0.1";
  const loopback = isLoopbackHost(host);
  const allowOrigins = (values["allow-origin"] ?? []).map((origin) => {
    const parsed = URL.canParse(origin) ? new URL(origin) : null;
    if (parsed == null || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/+$/, ""))
      throw new Error(`--allow-origin: expected an origin such as https://app.example or http://localhost:3000 (scheme, host and port, no path), got "${origin}"`);
    return parsed.origin;
  });
  if (!loopback && token == null) process.stderr.write(`haps serve: listening on ${host} without --token-env: anyone who reaches this address can use it\n`);
  const configPath = typeof values.config === "string" ? values.config : undefined;
  if (configPath == null) await announceDefaultModels();
  const bar = downloadBar();
  const { runtime, pipeline } = await openPipeline({
    ...runtimeOptionsFrom(values),
    configPath,
    models: { download: values.download === true, onProgress: bar.update, signal },
    onLog: (level, message) => (level === "warn" || level === "error") && process.stderr.write(`${message.trimEnd()}\n`),
  }).finally(() => bar.stop());
  const server = new HapsServer({
    pipeline,
    runtime,
    host,
    port,
    token,
    maxConcurrent,
    loraDir: values["lora-dir"],
    allowOrigins,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  try {
    signal.throwIfAborted();
    const url = await server.listen();
    process.stdout.write(`haps serve: ${url} (models: ${server.modelIds().join(", ")})${token ? ", bearer token required" : ""}; Ctrl-C stops it\n`);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    return 0;
  } finally {
    await server.close();
    await runtime.dispose();
  }
}

function integer(value: string | boolean | undefined, flag: string, min: number, max: number): number | undefined {
  if (typeof value !== "string") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag}: expected an integer from ${min} to ${max}, got "${value}"`);
  return n;
}
