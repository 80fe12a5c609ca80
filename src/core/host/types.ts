// What the engine may ask of the process that drives it (its host: the VS Code extension). Most of the engine's work
// is its own, but some things only the host can reach: VS Code's language models (`vscode.lm`) live in the extension
// host, not in the engine's child process. These calls run the other way from EngineMethods (engine -> host) over
// the same IPC channel (engine/protocol.ts). Everything here is plain, structured-cloneable data.

/** One message of a chat turn, in the form VS Code's language model API takes (it has no system role). */
export interface HostChatMessage {
  role: "user" | "assistant";
  content: string;
}

/** Which of VS Code's chat models answers: the fields of `vscode.LanguageModelChatSelector`; unset fields match any. */
export interface LmSelector {
  vendor?: string;
  family?: string;
  id?: string;
  version?: string;
}

export interface LmChatParams {
  /** The HAPS candidate id, for messages. */
  candidate: string;
  selector: LmSelector;
  messages: HostChatMessage[];
  /** The reply's token limit: the host ends the request once the reply has this many tokens. */
  maxTokens: number;
  /** Why the extension asks for the model (VS Code may show it when it asks the user for consent). */
  justification: string;
}

export interface LmChatResult {
  /** The whole reply. */
  text: string;
  /** The prompt's tokens, counted with the model's own `countTokens`. */
  promptTokens: number;
  /** The reply's tokens, counted the same way. */
  outputTokens: number;
  /** The model that answered (`vendor/family/id`), for the log. */
  model: string;
}

/** Method name -> [params, result], as EngineMethods is for the other direction. */
export interface HostMethods {
  /** One turn of a `vscode-lm` candidate: the extension sends the messages to the selected model and streams its reply. */
  lmChat: [LmChatParams, LmChatResult];
}
export type HostMethod = keyof HostMethods;

/** Events a host call streams back while it runs. */
export interface HostEvents {
  /** A piece of the reply as the model writes it. */
  text: { text: string };
}

export interface HostCallOptions {
  /** Aborting cancels the call in the host (the model's request is cancelled there). */
  signal?: AbortSignal;
  onEvent?: <E extends keyof HostEvents>(event: E, data: HostEvents[E]) => void;
}

/** How engine code calls its host; `offers` says which methods the host answers. */
export interface HostCaller {
  offers(method: HostMethod): boolean;
  call<M extends HostMethod>(method: M, params: HostMethods[M][0], options?: HostCallOptions): Promise<HostMethods[M][1]>;
}

/** A handler the host registers for one method; `emit` streams events back to the engine's caller. */
export type HostHandlers = {
  [M in HostMethod]: (
    params: HostMethods[M][0],
    ctx: { signal: AbortSignal; emit: <E extends keyof HostEvents>(event: E, data: HostEvents[E]) => void },
  ) => Promise<HostMethods[M][1]>;
};

/** A key stored for one candidate id, with the origin (`scheme://host:port`) it was stored for. */
export interface HostCandidateKey {
  key: string;
  /** Empty for a key stored before keys were bound to an origin: it is then sent nowhere. */
  origin: string;
}

/**
 * API keys the host holds for `openai` candidates (the extension keeps them in VS Code's SecretStorage), by candidate
 * id (bound to the origin the id pointed at when the key was stored) or by origin. They travel only over the IPC
 * channel, never in the environment, a file or a log line.
 */
export interface HostApiKeys {
  byCandidate: Record<string, HostCandidateKey>;
  /** Origin (`scheme://host:port`, see keyOrigin.originOf) -> key. */
  byOrigin: Record<string, string>;
}
