// The remote agent endpoint's requests as the server receives them (recorded by a forwarding proxy in front of
// haps serve): the JSON schema as response_format, stop strings, the token limit, the three ways of giving a reply's
// start, and the API key from the environment variable the configuration names.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseHapsConfig, type OpenAiCandidateConfig } from "../../../src/core/config/HapsConfig.ts";
import { LlamaAgentEndpoint } from "../../../src/core/protocols/LlamaAgentEndpoint.ts";
import { OpenAiAgentEndpoint } from "../../../src/core/remote/OpenAiAgentEndpoint.ts";
import { startServe, type ServeFixture } from "../serve/serveFixture.ts";
import { startFaultProxy, type FaultProxy } from "./faultProxy.ts";

describe("OpenAiAgentEndpoint", () => {
  let serve: ServeFixture;
  let proxy: FaultProxy;
  let small: { id: string; model: string };
  before(async () => {
    serve = await startServe({ token: "endpoint-key" });
    small = serve.config.candidates[0];
    proxy = await startFaultProxy(serve.url);
  });
  after(async () => {
    await proxy?.close();
    await serve?.close();
  });

  const candidate = (extra: Record<string, unknown> = {}): OpenAiCandidateConfig =>
    parseHapsConfig(
      { router: { model: "r.gguf" }, agents: [{ id: "student", role: "s" }], candidates: [{ id: "remote", kind: "openai", baseUrl: proxy.url, model: small.id, apiKeyEnv: "HAPS_TEST_KEY", ...extra }] },
      "test",
      "/",
    ).candidates[0] as OpenAiCandidateConfig;
  const env = { HAPS_TEST_KEY: "endpoint-key" };
  const lastBody = () => JSON.parse(proxy.seen.at(-1)!.body);

  test("a constrained call: response_format json_schema (strict), stop, max_completion_tokens, the key as a bearer token; the same reply as the local model", async () => {
    const schema = { type: "object", properties: { answer: { enum: ["A", "B"] } }, required: ["answer"], additionalProperties: false };
    const call = { system: "You choose.", prompt: "A or B?", stop: ["\nQuestion:"], maxTokens: 30, jsonSchema: schema };
    const reply = await new OpenAiAgentEndpoint({ role: "student", candidate: candidate(), env }).call(call);
    const body = lastBody();
    assert.deepEqual(body.response_format, { type: "json_schema", json_schema: { name: "haps_reply", schema, strict: true } });
    assert.deepEqual(body.stop, ["\nQuestion:"]);
    assert.equal(body.max_completion_tokens, 30);
    assert.equal(body.temperature, 0);
    assert.deepEqual(body.messages, [{ role: "system", content: "You choose." }, { role: "user", content: "A or B?" }]);
    assert.equal(proxy.seen.at(-1)!.authorization, "Bearer endpoint-key");
    assert.ok(["A", "B"].includes(JSON.parse(reply.text).answer));
    const local = await new LlamaAgentEndpoint(serve.runtime, { role: "student", modelPath: small.model }).call(call);
    assert.deepEqual([reply.text, reply.promptTokens, reply.outputTokens], [local.text, local.promptTokens, local.outputTokens]);
  });

  test('structuredOutput "none" sends no response_format', async () => {
    await new OpenAiAgentEndpoint({ role: "student", candidate: candidate({ structuredOutput: "none" }), env }).call({ prompt: "hi", maxTokens: 8, jsonSchema: { type: "object" } });
    assert.equal(lastBody().response_format, undefined);
  });

  test("a reply's start: continued as an assistant message (llama-server), with vLLM's flags, or asked for in the prompt", async () => {
    const call = { prompt: "What is 2 + 2?", prefix: "Solution:", maxTokens: 12 };
    const assistant = await new OpenAiAgentEndpoint({ role: "student", candidate: candidate(), env }).call(call);
    assert.deepEqual(lastBody().messages.at(-1), { role: "assistant", content: "Solution:" });
    assert.equal(lastBody().continue_final_message, undefined);
    const local = await new LlamaAgentEndpoint(serve.runtime, { role: "student", modelPath: small.model }).call(call);
    assert.equal(assistant.text, local.text, "continued exactly as the local model continues it");

    await new OpenAiAgentEndpoint({ role: "student", candidate: candidate({ prefill: "continue" }), env }).call(call);
    assert.equal(lastBody().continue_final_message, true);
    assert.equal(lastBody().add_generation_prompt, false);

    await new OpenAiAgentEndpoint({ role: "student", candidate: candidate({ prefill: "none" }), env }).call(call);
    const messages = lastBody().messages;
    assert.equal(messages.at(-1).role, "user");
    assert.match(messages.at(-1).content, /What is 2 \+ 2\?\n\nBegin your reply with "Solution:"\.$/);
  });

  test("the key's environment variable must be set; a closed candidate takes no adapter", () => {
    assert.throws(() => new OpenAiAgentEndpoint({ role: "student", candidate: candidate(), env: {} }), /candidate "remote": the environment variable HAPS_TEST_KEY \(its apiKeyEnv\) is not set/);
    const adapter = { lora: { architecture: "llama", layers: [] }, scale: 1 };
    assert.throws(() => new OpenAiAgentEndpoint({ role: "student", candidate: candidate(), env, adapter }), /candidate "remote" is closed: it takes no adapter/);
  });

  test("no key goes over plain http to another machine, whichever store it comes from", () => {
    const remote = candidate({ baseUrl: "http://evil.example/v1" });
    assert.throws(() => new OpenAiAgentEndpoint({ role: "student", candidate: remote, env }), /candidate "remote": its API key is not sent to http:\/\/evil\.example:80: plain http/);
    assert.throws(() => new OpenAiAgentEndpoint({ role: "student", candidate: { ...remote, apiKeyEnv: undefined }, apiKey: "sk-host" }), /plain http/);
    // Without a key, plain http is the user's choice (a llama-server on the LAN).
    new OpenAiAgentEndpoint({ role: "student", candidate: { ...remote, apiKeyEnv: undefined } });
  });
});
