// The one place that turns a candidate into the endpoint an agent talks to: a local GGUF model on the llama.cpp
// runtime, a model behind an OpenAI-compatible API, or one of VS Code's language models (answered by the extension).
// HapsPipeline binds every agent through here, so a new kind of candidate is one more case below and nothing else in
// the episode changes.
import type { LoraAdapter } from "../adapters/types.ts";
import type { CandidateConfig } from "../config/HapsConfig.ts";
import { hostApiKeyFor, hostCaller } from "../host/hostServices.ts";
import { HostLmAgentEndpoint } from "../hostLm/HostLmAgentEndpoint.ts";
import { LlamaAgentEndpoint } from "../protocols/LlamaAgentEndpoint.ts";
import type { AgentEndpoint, AgentRole } from "../protocols/types.ts";
import { OpenAiAgentEndpoint } from "../remote/OpenAiAgentEndpoint.ts";
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";

export interface EndpointBinding {
  role: AgentRole;
  candidate: CandidateConfig;
  /** This query's adapter for the agent's model; null for none (a closed model, or the base model). */
  adapter: LoraAdapter | null;
  /** The scale the adapter is attached with. */
  scale: number;
  /** Output token limit of a call that gives none. */
  maxTokens: number;
}

/** An agent's endpoint for its candidate's kind. */
export function createAgentEndpoint(runtime: LlamaRuntime, binding: EndpointBinding): AgentEndpoint {
  const { role, candidate, adapter, scale, maxTokens } = binding;
  switch (candidate.kind) {
    case "local":
      return new LlamaAgentEndpoint(runtime, {
        role,
        modelPath: candidate.model,
        modelId: candidate.id,
        adapter: adapter == null ? undefined : { lora: adapter, scale },
        maxTokens,
        // Each agent keeps its KV cache across its turns: a turn evaluates only what is new in its prompt.
        reuseCache: true,
      });
    case "openai":
      // A key the host (the extension's SecretStorage) holds for it comes first; else its apiKeyEnv.
      return new OpenAiAgentEndpoint({ role, candidate, adapter: adapter == null ? undefined : { lora: adapter, scale }, maxTokens, apiKey: hostApiKeyFor(candidate) });
    case "vscode-lm":
      return new HostLmAgentEndpoint({ role, candidate, host: hostCaller(), maxTokens });
  }
}

/**
 * Frees what endpoints hold beyond the episode (a local agent's generation session, a remote candidate's adapter
 * loaded at its server). Never throws:
 * a problem is reported as a process warning (`HapsRemoteWarning`, on stderr) so that the episode's own outcome stands.
 */
export async function releaseAgentEndpoints(endpoints: Iterable<AgentEndpoint>): Promise<void> {
  for (const endpoint of new Set(endpoints)) {
    if (endpoint instanceof LlamaAgentEndpoint) {
      const problem = await endpoint.close().then(() => null, (error: Error) => error.message);
      if (problem != null) process.emitWarning(`could not close the session of ${endpoint.role} (candidate "${endpoint.modelId}"): ${problem}`, "HapsRuntimeWarning");
      continue;
    }
    const release = (endpoint as { release?: () => Promise<string | null> }).release;
    if (release == null) continue;
    const problem = await release.call(endpoint).catch((error: Error) => error.message);
    if (problem != null) process.emitWarning(`could not unload the adapter of ${endpoint.role} (candidate "${endpoint.modelId}"): ${problem}`, "HapsRemoteWarning");
  }
}
