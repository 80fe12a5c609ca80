// The vscode-lm candidate kind in a configuration (closed, a selector, refused where no host answers - the CLI) and
// its endpoint's handling of what VS Code's chat API lacks: stop strings cut here, a fixed reply start asked for in
// the prompt and removed when echoed, the schema stated in the prompt.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { ConfigError, parseHapsConfig, type VsCodeLmCandidateConfig } from "../../../src/core/config/HapsConfig.ts";
import { setHostCaller } from "../../../src/core/host/hostServices.ts";
import type { HostCaller, LmChatParams } from "../../../src/core/host/types.ts";
import { HostLmAgentEndpoint } from "../../../src/core/hostLm/HostLmAgentEndpoint.ts";
import { writeFileSync } from "node:fs";
import { haps } from "../cli/hapsProcess.ts";
import { tempDir } from "../runtime/helpers.ts";

const base = { router: { model: "router.gguf" }, agents: [{ id: "student", role: "acts" }, { id: "teacher", role: "reviews" }] };
const parse = (candidates: unknown[]) => parseHapsConfig({ ...base, candidates }, "c.json", "/cfg");
const lm = { id: "copilot-4o", kind: "vscode-lm", selector: { vendor: "copilot", family: "gpt-4o" } };

/** A host that answers lmChat with `reply`, streaming it in pieces of `piece` characters, and records the calls. */
function host(reply: string, calls: LmChatParams[] = [], piece = 3): HostCaller {
  return {
    offers: (method) => method === "lmChat",
    call: async (_method, params, options) => {
      calls.push(params);
      for (let i = 0; i < reply.length; i += piece) options?.onEvent?.("text", { text: reply.slice(i, i + piece) });
      return { text: reply, promptTokens: 11, outputTokens: 5, model: "copilot/gpt-4o" };
    },
  };
}

afterEach(() => setHostCaller(null));

test("without a host (the CLI) a vscode-lm candidate is refused at validation, with its field path and what to do", () => {
  assert.throws(() => parse([{ id: "a", model: "a.gguf" }, lm]), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^c\.json: candidates\[1\]\.kind: "vscode-lm" \(candidate "copilot-4o"\) is one of VS Code's language models/);
    assert.match(e.message, /the haps command line cannot\. Use it from VS Code, or give this candidate kind "local" or "openai"/);
    return true;
  });
});

test("haps route refuses a configuration file with a vscode-lm candidate before loading any model", async () => {
  const dir = tempDir("vscode-lm-cli");
  writeFileSync(`${dir}/router.gguf`, "not read");
  writeFileSync(`${dir}/c.json`, JSON.stringify({ ...base, candidates: [lm] }));
  await assert.rejects(haps(["route", "--config", `${dir}/c.json`, "--question", "2 + 2 = ?"]), (e: { code: number; stderr: string }) => {
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, /c\.json: candidates\[0\]\.kind: "vscode-lm" \(candidate "copilot-4o"\)/);
    return true;
  });
});

test("with a host that answers lmChat it is a closed candidate with its selector; wrong fields are named", () => {
  setHostCaller(host("x"));
  const [c] = parse([lm]).candidates;
  assert.equal(c.kind, "vscode-lm");
  assert.equal(c.open, false);
  assert.equal(c.model, "vscode-lm:copilot/gpt-4o");
  assert.throws(() => parse([{ ...lm, open: true }]), /candidates\.0\.open: VS Code's language models take no adapter/);
  assert.throws(() => parse([{ ...lm, selector: {} }]), /candidates\.0\.selector: give at least one of vendor, family, id, version/);
  assert.throws(() => parse([{ ...lm, selector: { vendor: "copilot", name: "x" } }]), /candidates\.0\.selector: Unrecognized key: "name"/);
  assert.throws(() => parse([{ ...lm, model: "gpt-4o" }]), /candidates\.0: Unrecognized key: "model"/);
});

test("the endpoint states the schema and the reply's start in one user message, cuts at a stop string, strips an echoed start", async () => {
  setHostCaller(host("x"));
  const candidate = parse([lm]).candidates[0] as VsCodeLmCandidateConfig;
  const calls: LmChatParams[] = [];
  const streamed: string[] = [];
  const endpoint = new HostLmAgentEndpoint({ role: "student", candidate, host: host('Solution: B is right.\nAnswer: B\nMore text', calls), maxTokens: 99 });
  const reply = await endpoint.call(
    { system: "You are the Student.", prompt: "Question?", prefix: "Solution:", stop: ["\nAnswer:"], jsonSchema: { type: "object" } },
    { onText: (t) => streamed.push(t) },
  );
  assert.equal(reply.text, " B is right.");
  assert.equal(streamed.join(""), "Solution: B is right.", "nothing past the stop string was streamed");
  assert.deepEqual([reply.promptTokens, reply.outputTokens], [11, 5], "the host's counts");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].maxTokens, 99);
  assert.equal(calls[0].messages.length, 1);
  assert.equal(calls[0].messages[0].role, "user");
  assert.match(calls[0].messages[0].content, /^You are the Student\.\n\nQuestion\?\n\nReply with one JSON object, and nothing else, that follows this JSON schema:\n\{"type":"object"\}\n\nBegin your reply with "Solution:"\.$/);
});

test("a host that does not answer lmChat makes the call fail with the reason, not a hang", async () => {
  setHostCaller(host("x"));
  const candidate = parse([lm]).candidates[0] as VsCodeLmCandidateConfig;
  const endpoint = new HostLmAgentEndpoint({ role: "teacher", candidate, host: null });
  await assert.rejects(endpoint.call({ prompt: "?" }), /candidate "copilot-4o" is one of VS Code's language models \(kind "vscode-lm"\): only the HAPS extension in VS Code can reach it/);
});
