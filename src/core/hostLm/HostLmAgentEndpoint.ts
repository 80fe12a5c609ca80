// An agent served by one of VS Code's language models (a `vscode-lm` candidate). The engine runs in a child process
// and cannot reach `vscode.lm`, so each turn is a host call (`lmChat`, host/types.ts): the extension sends the
// messages to the selected model, streams its reply back, and counts tokens with the model's own `countTokens`.
//
// VS Code's chat API has no system role, no JSON-schema constraint, no stop strings and no output limit, so:
//   - the system text opens the user message;
//   - a reply's JSON schema is stated in the prompt (nothing enforces it: the protocols' format retries and
//     fallbacks deal with a reply that does not follow it, as for an openai candidate with structuredOutput "none");
//   - a fixed start of the reply (`prefix`) is asked for in the prompt, and an echoed start is removed;
//   - stop strings cut the reply here; the extension ends the request once the reply reaches `maxTokens`.
// Token counts are those of the whole reply the model wrote (what a paid model bills), cut or not.
import type { VsCodeLmCandidateConfig } from "../config/HapsConfig.ts";
import type { HostCaller, HostChatMessage } from "../host/types.ts";
import type { AgentCall, AgentCallHooks, AgentEndpoint, AgentReply, AgentRole } from "../protocols/types.ts";

export interface HostLmAgentOptions {
  role: AgentRole;
  candidate: VsCodeLmCandidateConfig;
  /** The process's host; null where there is none (the CLI), which makes every call fail with that reason. */
  host: HostCaller | null;
  /** Output token limit when a call gives none. Defaults to `256`. */
  maxTokens?: number;
}

export class HostLmAgentEndpoint implements AgentEndpoint {
  readonly role: AgentRole;
  readonly modelId: string;

  constructor(private readonly options: HostLmAgentOptions) {
    this.role = options.role;
    this.modelId = options.candidate.id;
  }

  async call(request: AgentCall, hooks: AgentCallHooks = {}): Promise<AgentReply> {
    const started = performance.now();
    const { host, candidate } = this.options;
    if (host == null || !host.offers("lmChat"))
      throw new Error(`candidate "${candidate.id}" is one of VS Code's language models (kind "vscode-lm"): only the HAPS extension in VS Code can reach it`);
    const stop = request.stop?.filter((s) => s.length > 0) ?? [];
    let streamed = 0; // characters of the (cut) reply already passed on
    let received = "";
    const result = await host.call(
      "lmChat",
      {
        candidate: candidate.id,
        selector: candidate.selector,
        messages: this.messages(request),
        maxTokens: request.maxTokens ?? this.options.maxTokens ?? 256,
        justification: `HAPS Router routed the ${this.role}'s turn of a question to "${candidate.id}".`,
      },
      {
        signal: hooks.signal,
        onEvent: (_event, data) => {
          received += data.text;
          // Pass on what is certain to stay: nothing past a stop string, and not the last characters that could
          // still turn out to begin one.
          const cut = cutAtStop(received, stop);
          const safe = cut.length < received.length ? cut.length : received.length - Math.max(0, longest(stop) - 1);
          if (safe > streamed) {
            hooks.onText?.(received.slice(streamed, safe));
            streamed = safe;
          }
        },
      },
    );
    let text = cutAtStop(result.text, stop);
    if (text.length > streamed) hooks.onText?.(text.slice(streamed));
    // Asked in the prompt to begin with the prefix, a model may or may not write it: the reply excludes it either way.
    if (request.prefix && text.trimStart().startsWith(request.prefix.trim())) text = text.trimStart().slice(request.prefix.trim().length);
    return { text, promptTokens: result.promptTokens, outputTokens: result.outputTokens, ms: performance.now() - started };
  }

  private messages(request: AgentCall): HostChatMessage[] {
    const parts = [request.system, request.prompt];
    if (request.jsonSchema != null) parts.push(`Reply with one JSON object, and nothing else, that follows this JSON schema:\n${JSON.stringify(request.jsonSchema)}`);
    if (request.prefix) parts.push(`Begin your reply with "${request.prefix}".`);
    return [{ role: "user", content: parts.filter((p) => p != null && p !== "").join("\n\n") }];
  }
}

/** `text` up to the first of the stop strings (all of it when none occurs). */
export function cutAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const s of stop) {
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

function longest(strings: readonly string[]): number {
  return strings.reduce((n, s) => Math.max(n, s.length), 0);
}
