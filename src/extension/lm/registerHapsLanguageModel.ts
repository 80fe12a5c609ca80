// Registers "HAPS (local, routed)" with VS Code's language models where this VS Code has the provider API; null where
// it does not (the caller then reports nothing more: the rest of the extension works without it).
import type * as vscode from "vscode";
import type { EngineHost } from "../EngineHost.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import { HAPS_LM_VENDOR, HapsChatModelProvider } from "./HapsChatModelProvider.ts";
import { languageModelProviderApi } from "./lmApi.ts";

export function registerHapsLanguageModel(runner: RouteRunner, engine: EngineHost): { provider: HapsChatModelProvider; registration: vscode.Disposable | null } {
  const provider = new HapsChatModelProvider(runner, engine);
  const api = languageModelProviderApi();
  return { provider, registration: api == null ? null : api.registerLanguageModelChatProvider(HAPS_LM_VENDOR, provider) };
}
