// Registers "HAPS (local, routed)" with VS Code's language models (vscode.lm.registerLanguageModelChatProvider).
import * as vscode from "vscode";
import type { EngineHost } from "../EngineHost.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import { HAPS_LM_VENDOR, HapsChatModelProvider } from "./HapsChatModelProvider.ts";

export function registerHapsLanguageModel(
  runner: RouteRunner,
  engine: EngineHost,
  output: vscode.OutputChannel,
  cacheDir: string,
): { provider: HapsChatModelProvider; registration: vscode.Disposable } {
  const provider = new HapsChatModelProvider(runner, engine, output, cacheDir);
  return { provider, registration: vscode.Disposable.from(provider, vscode.lm.registerLanguageModelChatProvider(HAPS_LM_VENDOR, provider)) };
}
