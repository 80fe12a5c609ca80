// The candidate kinds of a configuration: local (the default) and openai (a model behind an OpenAI-compatible API),
// with every wrong field named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseHapsConfig } from "../../../src/core/config/HapsConfig.ts";

const base = { router: { model: "router.gguf" }, agents: [{ id: "student", role: "acts" }, { id: "teacher", role: "reviews" }] };
const parse = (candidates: unknown[]) => parseHapsConfig({ ...base, candidates }, "c.json", "/cfg");

test("kind defaults to local; an openai candidate gets its documented defaults and keeps its model name as it is", () => {
  const [local, remote] = parse([{ id: "a", model: "a.gguf" }, { id: "gpt", kind: "openai", baseUrl: "https://api.example.com/v1", model: "gpt-4o-mini", apiKeyEnv: "OPENAI_API_KEY" }]).candidates;
  assert.equal(local.kind, "local");
  assert.equal(local.model, "/cfg/a.gguf");
  assert.equal(remote.kind, "openai");
  assert.equal(remote.model, "gpt-4o-mini", "not resolved as a path");
  assert.equal(remote.open, false, "remote candidates are closed unless said otherwise");
  if (remote.kind !== "openai") throw new Error("unreachable");
  assert.equal(remote.structuredOutput, "json_schema");
  assert.equal(remote.prefill, "assistant");
  assert.deepEqual([remote.timeoutMs, remote.retries, remote.retryDelayMs], [120_000, 3, 500]);
});

test("an open remote candidate needs lora (its adapter folders resolve against the configuration); a closed one may not have it", () => {
  const lora = { engine: "vllm", adapterDir: "adapters", shape: { blockCount: 16, oProjIn: 2048 } };
  const [c] = parse([{ id: "big", kind: "openai", baseUrl: "http://gpu:8000/v1", model: "meta-llama/Llama-3.1-8B", open: true, lora }]).candidates;
  if (c.kind !== "openai") throw new Error("unreachable");
  assert.equal(c.lora!.adapterDir, "/cfg/adapters");
  assert.equal(c.lora!.serverAdapterDir, "/cfg/adapters", "the server sees the same folder unless told");
  assert.equal(c.lora!.shape.architecture, "llama");
  assert.throws(() => parse([{ id: "big", kind: "openai", baseUrl: "http://gpu:8000/v1", model: "m", open: true }]), /candidates\.0\.lora: an open remote candidate needs `lora`/);
  assert.throws(() => parse([{ id: "big", kind: "openai", baseUrl: "http://gpu:8000/v1", model: "m", lora }]), /candidates\.0\.lora: `lora` applies to open candidates only/);
  assert.throws(() => parse([{ id: "big", kind: "openai", baseUrl: "http://gpu:8000/v1", model: "m", open: true, lora: { ...lora, engine: "llama-server" } }]), /candidates\.0\.lora\.engine/);
});

test("wrong fields are named: the kind, the URL, a key where its variable's name belongs, limits, unknown fields", () => {
  assert.throws(() => parse([{ id: "x", kind: "anthropic", model: "m" }]), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /candidates\.0\.kind: expected "local" or "openai"/);
    return true;
  });
  assert.throws(
    () => parse([{ id: "x", kind: "openai", baseUrl: "ftp://host/v1", model: "m", apiKeyEnv: "sk-abc 123", timeoutMs: 10, retries: 99, temperature: 1 }]),
    (e: Error) => {
      assert.match(e.message, /candidates\.0\.baseUrl: expected an http:\/\/ or https:\/\/ URL/);
      assert.match(e.message, /candidates\.0\.apiKeyEnv: expected an environment variable name .*not the key itself/);
      assert.match(e.message, /candidates\.0\.timeoutMs/);
      assert.match(e.message, /candidates\.0\.retries/);
      assert.match(e.message, /temperature/);
      return true;
    },
  );
  assert.throws(() => parse([{ id: "x", model: "hf:a/b:Q4_K_M", sha256: "abc" }]), /candidates\.0\.sha256: expected 64 hexadecimal digits/);
  // A local candidate takes no remote fields.
  assert.throws(() => parse([{ id: "x", model: "a.gguf", baseUrl: "http://h/v1" }]), /baseUrl/);
});

test("URIs in model settings stay URIs; paths still resolve against the configuration's folder", () => {
  const config = parseHapsConfig(
    { ...base, router: { model: "hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M" }, candidates: [{ id: "a", model: "https://example.com/a.gguf" }, { id: "b", model: "models/b.gguf" }], embeddingModel: "hf:nomic-ai/x/y.gguf" },
    "c.json",
    "/cfg",
  );
  assert.equal(config.router.model, "hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  assert.deepEqual(config.candidates.map((c) => c.model), ["https://example.com/a.gguf", "/cfg/models/b.gguf"]);
  assert.equal(config.embeddingModel, "hf:nomic-ai/x/y.gguf");
});

test("apiKeyEnv names only *_API_KEY or HAPS_* variables: another variable may hold an unrelated secret", () => {
  for (const name of ["OPENAI_API_KEY", "HAPS_REMOTE"]) parse([{ id: "x", kind: "openai", baseUrl: "https://h/v1", model: "m", apiKeyEnv: name }]);
  for (const name of ["SECRET_OF_USER", "GITHUB_TOKEN", "HOME"])
    assert.throws(
      () => parse([{ id: "x", kind: "openai", baseUrl: "https://h/v1", model: "m", apiKeyEnv: name }]),
      /candidates\.0\.apiKeyEnv: only variables named \*_API_KEY or HAPS_\* can be sent as a key/,
    );
});
