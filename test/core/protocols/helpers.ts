// Shared set-up for the protocol tests that run real llama.cpp inference on real items.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadHotpotQa } from "../../../src/core/data/hotpot/loadHotpotQa.ts";
import { loadMmluJsonl } from "../../../src/core/data/mmlu/loadMmluJsonl.ts";
import type { TaskItem } from "../../../src/core/data/TaskItem.ts";
import { LlamaAgentEndpoint, type LlamaAgentOptions } from "../../../src/core/protocols/LlamaAgentEndpoint.ts";
import type { AgentCall, AgentCallHooks, AgentEndpoint, AgentReply, EpisodeOutcome } from "../../../src/core/protocols/types.ts";
import type { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shared = path.resolve(repoRoot, "../shared");
export const stories260K = path.join(shared, "models/stories260K.gguf");
export const tinyRandom32k = path.join(shared, "models/llama-2-tiny-random.gguf");
const hotpotFile = path.join(shared, "data/hotpotqa/haps_test.jsonl");
const mmluFile = path.join(shared, "data/mmlu/mmlu_dev.jsonl");
export const skipWithoutSharedFiles = [stories260K, tinyRandom32k, hotpotFile, mmluFile].every(existsSync)
  ? false
  : "../shared models or data are not present on this machine";

export async function firstHotpotItem(): Promise<TaskItem> {
  const { items } = await loadHotpotQa(hotpotFile, { strict: true });
  return items[0];
}

export async function firstMmluItem(): Promise<TaskItem> {
  const { items } = await loadMmluJsonl(mmluFile, { strict: true });
  return items[0];
}

/** A real endpoint that also keeps what it was asked and what it reported, to check the transcript against. */
export class TalliedEndpoint implements AgentEndpoint {
  readonly requests: AgentCall[] = [];
  readonly replies: AgentReply[] = [];
  private readonly inner: LlamaAgentEndpoint;

  constructor(runtime: LlamaRuntime, options: LlamaAgentOptions) {
    this.inner = new LlamaAgentEndpoint(runtime, options);
  }

  get role() {
    return this.inner.role;
  }

  get modelId() {
    return this.inner.modelId;
  }

  async call(request: AgentCall, hooks?: AgentCallHooks): Promise<AgentReply> {
    this.requests.push(request);
    const reply = await this.inner.call(request, hooks);
    this.replies.push(reply);
    return reply;
  }
}

/**
 * The transcript accounts for every generation: each one the endpoints made sits in exactly one turn, the turns'
 * tokens per model add up to the outcome's totals, and those equal what the endpoints reported.
 */
export function assertAccounted(outcome: EpisodeOutcome, endpoints: TalliedEndpoint[]): void {
  assert.deepEqual(outcome.turns.map((t) => t.index), outcome.turns.map((_, i) => i));
  const calls = outcome.turns.reduce((n, t) => n + t.calls, 0);
  assert.equal(calls, endpoints.reduce((n, e) => n + e.replies.length, 0), "generations in turns vs. generations made");
  const reported: Record<string, { input: number; output: number }> = {};
  for (const e of endpoints) {
    for (const r of e.replies) {
      const count = (reported[e.modelId] ??= { input: 0, output: 0 });
      count.input += r.promptTokens;
      count.output += r.outputTokens;
    }
  }
  const fromTurns: Record<string, { input: number; output: number }> = {};
  for (const t of outcome.turns) {
    const count = (fromTurns[t.modelId] ??= { input: 0, output: 0 });
    count.input += t.promptTokens;
    count.output += t.outputTokens;
  }
  assert.deepEqual(outcome.tokens, reported, "outcome totals vs. what the endpoints reported");
  assert.deepEqual(fromTurns, reported, "turn sums vs. what the endpoints reported");
  for (const t of outcome.turns) assert.ok(t.calls >= 1 && t.promptTokens > 0, `turn ${t.index} made no generation`);
}
