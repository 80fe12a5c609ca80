// "HAPS (local, routed)" as one of VS Code's language models: a request is a routed episode over the local models of
// the current settings, the agents' work streams as thinking parts (where VS Code has them) and the answer as text;
// token counts are in the router model's tokens, through the engine (the model that reads every query). Earlier
// messages of the conversation become paragraphs the agents can search, as in the sidebar chat.
//
// What it advertises follows the settings: maxInputTokens is what the engine accepts as a question (a quarter of the
// smallest context among the router and the local candidates), maxOutputTokens an agent turn's token limit. They are
// read from the configuration and the models' GGUF headers here, without the engine: another extension listing the
// language models must not start llama.cpp and load the models (core/config/configModelLimits.ts). They are announced
// again through onDidChangeLanguageModelChatInformation when a setting that picks the models changes, and read anew
// on each listing (a header read is milliseconds).
import * as vscode from "vscode";
import { configModelLimits, type HeaderLimits } from "../../core/config/configModelLimits.ts";
import { defaultConfig } from "../../core/config/defaultConfig.ts";
import { loadHapsConfig, parseHapsConfig, type HapsConfig } from "../../core/config/HapsConfig.ts";
import { findDownloadedModel, urlFileName } from "../../core/download/downloadModel.ts";
import { isModelUri } from "../../core/download/modelUri.ts";
import type { ModelLimits } from "../../core/engine/checkEpisodeRequest.ts";
import { ensureDefaultModels } from "../../core/models/defaultModels.ts";
import { sharedModelCacheDir } from "../engineSettings.ts";
import { conversationContext, type Exchange } from "../chat/conversationContext.ts";
import type { EngineHost } from "../EngineHost.ts";
import { describeError } from "../errors/describeError.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import { readRouteSource } from "../settings/routeSource.ts";
import { messageText, thinkingPart } from "./lmApi.ts";

/** The vendor contributed in package.json (`languageModelChatProviders`). */
export const HAPS_LM_VENDOR = "haps";

/** The settings that decide the models (and so the limits); a change announces new model information. */
export const MODEL_SETTINGS = ["haps.configFile", "haps.models"];

/** Split a conversation into the question (the last user message) and the exchanges before it. */
export function conversationQuestion(messages: readonly { role: number; content: unknown }[]): { question: string; exchanges: Exchange[] } {
  const last = messages.map((m) => m.role).lastIndexOf(vscode.LanguageModelChatMessageRole.User);
  if (last < 0) return { question: "", exchanges: [] };
  const exchanges: Exchange[] = [];
  let pending: string | null = null;
  for (const m of messages.slice(0, last)) {
    const text = messageText(m).trim();
    if (m.role === vscode.LanguageModelChatMessageRole.User) pending = text;
    else if (pending != null) {
      exchanges.push({ question: pending, answer: text });
      pending = null;
    }
  }
  return { question: messageText(messages[last]).trim(), exchanges };
}

/** The model's information with the limits of the current settings. */
export function hapsModelInformation(limits: Pick<ModelLimits, "maxQuestionTokens" | "maxOutputTokens">): vscode.LanguageModelChatInformation {
  return {
    id: "haps-routed",
    name: "HAPS (local, routed)",
    family: "haps",
    version: "0.1.0",
    maxInputTokens: limits.maxQuestionTokens,
    maxOutputTokens: limits.maxOutputTokens,
    tooltip: "A routed Student-Teacher episode on local models, with per-query LoRA adapters (HAPS Router settings)",
    detail: "local, routed",
    capabilities: { imageInput: false, toolCalling: false },
  };
}

/**
 * The configuration the next route would use (settings/routeSource.ts), parsed here: a configuration file, the
 * settings' models, or the embedded models (generated into `cacheDir`, the engine's own cache, if they are not there yet:
 * a few MiB written by pure TypeScript, no model loaded).
 */
async function routeConfig(cacheDir: string): Promise<HapsConfig> {
  const { params } = await readRouteSource();
  if (params.configPath != null) return await loadHapsConfig(params.configPath);
  if (params.config != null) return parseHapsConfig(params.config, "the HAPS settings (haps.models.*)", process.cwd());
  return defaultConfig(await ensureDefaultModels(cacheDir));
}

/**
 * A configured model's file on disk: a path as it is; a URL's download in the shared model cache, or null before it
 * is downloaded. (An `hf:` URI is left unread: finding its file takes node-llama-cpp, which stays out of the
 * extension host; a URL's file name is known without it.)
 */
async function locateModel(model: string): Promise<string | null> {
  if (!isModelUri(model)) return model;
  if (urlFileName(model) == null) return null;
  return await findDownloadedModel(model, { dir: sharedModelCacheDir(), nodeLlamaCppDir: null });
}

export class HapsChatModelProvider implements vscode.LanguageModelChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private readonly subscription = vscode.workspace.onDidChangeConfiguration((e) => {
    if (MODEL_SETTINGS.some((s) => e.affectsConfiguration(s))) this.changed.fire();
  });

  constructor(
    private readonly runner: RouteRunner,
    private readonly engine: EngineHost,
    private readonly output: vscode.OutputChannel,
    /** The engine's cache folder (where it generates the embedded models). */
    private readonly cacheDir: string,
  ) {}

  /** The limits of the current settings, from the models' headers; rejects as a route would (missing files, a bad config). */
  async currentLimits(): Promise<HeaderLimits> {
    const limits = await configModelLimits(await routeConfig(this.cacheDir), locateModel);
    if (limits.unread.length > 0) {
      this.output.appendLine(`HAPS (local, routed): not downloaded yet, so counted with the runtime's largest context: ${limits.unread.join(", ")}`);
    }
    return limits;
  }

  async provideLanguageModelChatInformation(_options: vscode.PrepareLanguageModelChatModelOptions, token: vscode.CancellationToken): Promise<vscode.LanguageModelChatInformation[]> {
    try {
      if (token.isCancellationRequested) return [];
      return [hapsModelInformation(await this.currentLimits())];
    } catch (error) {
      // Not offered until the settings work; the log says why, and the model picker's Manage button opens Select Models.
      this.output.appendLine(`HAPS (local, routed) is not offered as a language model: ${describeError(error).message}`);
      return [];
    }
  }

  async provideLanguageModelChatResponse(
    _model: vscode.LanguageModelChatInformation,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    _options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const { question, exchanges } = conversationQuestion(messages);
    if (question === "") throw new Error("HAPS (local, routed): the conversation has no user message to answer");
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      const { report } = await this.runner.run(
        { question, context: conversationContext(exchanges) },
        {
          signal: controller.signal,
          onEvent: (_id, event) => {
            if (event.type !== "text") return;
            const part = thinkingPart(event.text);
            if (part != null) progress.report(part);
          },
        },
      );
      if (report.stoppedBecause !== "aborted") progress.report(new vscode.LanguageModelTextPart(report.answer || "(no answer)"));
    } finally {
      cancel.dispose();
    }
  }

  async provideTokenCount(_model: vscode.LanguageModelChatInformation, text: string | vscode.LanguageModelChatRequestMessage, token: vscode.CancellationToken): Promise<number> {
    const source = await readRouteSource();
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      const texts = [typeof text === "string" ? text : messageText(text)];
      const { counts } = await this.engine.request("countTokens", { ...source.params, texts }, { signal: controller.signal });
      return counts[0];
    } finally {
      cancel.dispose();
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
