// "HAPS (local, routed)" as one of VS Code's language models (vscode.lm.registerLanguageModelChatProvider, where this
// VS Code has it): a request is a routed episode over the local models of the current settings, the agents' work
// streams as thinking parts (where VS Code has them) and the answer as text; token counts are in the router model's
// tokens, through the engine (the model that reads every query). Earlier messages of the conversation become
// paragraphs the agents can search, as in the sidebar chat.
import type * as vscode from "vscode";
import { conversationContext, type Exchange } from "../chat/conversationContext.ts";
import type { EngineHost } from "../EngineHost.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import { readRouteSource } from "../settings/routeSource.ts";
import { messageText, textPart, thinkingPart, type LanguageModelChatInformation, type LanguageModelChatProvider, type LanguageModelChatRequestMessage } from "./lmApi.ts";

/** The vendor contributed in package.json (`languageModelChatProviders`). */
export const HAPS_LM_VENDOR = "haps";

/** VS Code's LanguageModelChatMessageRole.User (1) and .Assistant (2); the enum is not in every VS Code's API. */
const USER_ROLE = 1;

/** Split a conversation into the question (the last user message) and the exchanges before it. */
export function conversationQuestion(messages: readonly { role: number; content: unknown }[]): { question: string; exchanges: Exchange[] } {
  const last = messages.map((m) => m.role).lastIndexOf(USER_ROLE);
  if (last < 0) return { question: "", exchanges: [] };
  const exchanges: Exchange[] = [];
  let pending: string | null = null;
  for (const m of messages.slice(0, last)) {
    const text = messageText(m).trim();
    if (m.role === USER_ROLE) pending = text;
    else if (pending != null) {
      exchanges.push({ question: pending, answer: text });
      pending = null;
    }
  }
  return { question: messageText(messages[last]).trim(), exchanges };
}

export class HapsChatModelProvider implements LanguageModelChatProvider {
  static readonly info: LanguageModelChatInformation = {
    id: "haps-routed",
    name: "HAPS (local, routed)",
    family: "haps",
    version: "0.1.0",
    // What the engine accepts depends on the configured models (a question may take a quarter of the smallest
    // context; a longer one is refused with the counts). These are the embedded models' figures.
    maxInputTokens: 512,
    maxOutputTokens: 256,
    tooltip: "A routed Student-Teacher episode on local models, with per-query LoRA adapters (HAPS Router settings)",
    detail: "local, routed",
    capabilities: { imageInput: false, toolCalling: false },
  };

  constructor(
    private readonly runner: RouteRunner,
    private readonly engine: EngineHost,
  ) {}

  provideLanguageModelChatInformation(): LanguageModelChatInformation[] {
    return [HapsChatModelProvider.info];
  }

  async provideLanguageModelChatResponse(
    _model: LanguageModelChatInformation,
    messages: readonly LanguageModelChatRequestMessage[],
    _options: unknown,
    progress: vscode.Progress<unknown>,
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
      if (report.stoppedBecause !== "aborted") progress.report(textPart(report.answer || "(no answer)"));
    } finally {
      cancel.dispose();
    }
  }

  async provideTokenCount(_model: LanguageModelChatInformation, text: string | LanguageModelChatRequestMessage, token: vscode.CancellationToken): Promise<number> {
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
}
