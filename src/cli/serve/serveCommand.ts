// `haps serve`: its name and help; runServe.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const serveCommand: CliCommand = {
  name: "serve",
  summary: "serve the routed assistant (and its local models) behind an OpenAI-compatible HTTP API",
  usage: `haps serve [--config FILE] [--host ADDR] [--port N] [--token-env NAME] [--max-concurrent N] [--lora-dir DIR] [--allow-origin ORIGIN]... [--download]

  --config FILE       the models (a configuration file; default: the embedded tiny models)
  --host ADDR         address to listen on (default 127.0.0.1: this machine only)
  --port N            port (default 8080; 0 picks a free one)
  --token-env NAME    require "Authorization: Bearer <token>", the token read from the environment variable NAME
                      (never from the command line, where other users could read it)
  --max-concurrent N  chat completions at once; more are answered 429 with Retry-After (default 4)
  --lora-dir DIR      serve vLLM's run-time adapter routes (POST /v1/load_lora_adapter, /v1/unload_lora_adapter)
                      for PEFT adapter folders inside DIR
  --allow-origin ORIGIN
                      let web pages from ORIGIN (e.g. http://localhost:3000) call the server; repeat for more.
                      Requests with any other Origin header are refused (403), as are requests whose Host is not
                      a loopback name while listening on a loopback address, and bodies that are not
                      application/json
  --download          download model settings that are hf: or http(s) URIs and are not in the cache yet

Routes: GET /v1/models, POST /v1/chat/completions (with "stream": true: server-sent events), GET /health.
"model": "haps" routes the question through the Teacher-Student system (the answer is the content, the agents'
work streams as reasoning_content, and "haps.route" has the assignment, the adapters, tokens and cost); a
candidate's id asks that model alone. Ctrl-C stops it.`,
  run: async (args, context) => (await import("./runServe.ts")).runServe(args, context),
};
