// The parts of VS Code's language model API used here that @types/vscode 1.90 (the oldest VS Code we run in) does not
// declare: a chat model provider (`vscode.lm.registerLanguageModelChatProvider`, finalised in VS Code 1.104) and the
// response parts it reports. They are looked up at run time, and everything that uses them is skipped where they are
// missing (as chat/hapsParticipant.ts does for chat participants). The shapes follow vscode.d.ts of VS Code 1.104+.
import * as vscode from "vscode";

export interface LanguageModelChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
}

/** A message as a provider receives it: `content` is a list of parts (text parts have `value`). */
export interface LanguageModelChatRequestMessage {
  readonly role: vscode.LanguageModelChatMessageRole;
  readonly content: ReadonlyArray<unknown>;
  readonly name: string | undefined;
}

export interface LanguageModelChatProvider<T extends LanguageModelChatInformation = LanguageModelChatInformation> {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { readonly silent: boolean }, token: vscode.CancellationToken): vscode.ProviderResult<T[]>;
  provideLanguageModelChatResponse(
    model: T,
    messages: readonly LanguageModelChatRequestMessage[],
    options: unknown,
    progress: vscode.Progress<unknown>,
    token: vscode.CancellationToken,
  ): Thenable<void>;
  provideTokenCount(model: T, text: string | LanguageModelChatRequestMessage, token: vscode.CancellationToken): Thenable<number>;
}

type PartClass = new (value: string) => unknown;

interface ProviderApi {
  registerLanguageModelChatProvider(vendor: string, provider: LanguageModelChatProvider): vscode.Disposable;
}

/** `vscode.lm` with the provider registration, or null where this VS Code has no such API. */
export function languageModelProviderApi(): ProviderApi | null {
  const lm = (vscode as { lm?: Partial<ProviderApi> }).lm;
  return typeof lm?.registerLanguageModelChatProvider === "function" ? (lm as ProviderApi) : null;
}

/** `vscode.lm` for using models, or null where this VS Code has none. */
export function languageModelApi(): typeof vscode.lm | null {
  const lm = (vscode as { lm?: typeof vscode.lm }).lm;
  return typeof lm?.selectChatModels === "function" ? lm : null;
}

/** `new vscode.LanguageModelTextPart(text)`: the answer a provider reports. */
export function textPart(text: string): unknown {
  const TextPart = (vscode as unknown as { LanguageModelTextPart?: PartClass }).LanguageModelTextPart;
  if (TextPart == null) throw new Error("this VS Code has no vscode.LanguageModelTextPart");
  return new TextPart(text);
}

/** `new vscode.LanguageModelThinkingPart(text)` where it exists (the agents' work as it streams), else null. */
export function thinkingPart(text: string): unknown | null {
  const ThinkingPart = (vscode as unknown as { LanguageModelThinkingPart?: PartClass }).LanguageModelThinkingPart;
  return ThinkingPart == null ? null : new ThinkingPart(text);
}

/** The text of a message's parts (text parts only; a plain string from older callers as it is). */
export function messageText(message: { content: unknown }): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof part === "string" ? part : typeof (part as { value?: unknown })?.value === "string" ? (part as { value: string }).value : ""))
    .join("");
}
