// The one part of the language model API used here that @types/vscode does not declare: LanguageModelThinkingPart,
// still a proposed API (VS Code's own chat shows it as the model's reasoning). It is looked up at run time and left
// out where this VS Code does not have it. Everything else (the provider, its messages and parts) comes from
// @types/vscode, whose version matches `engines.vscode`.
import * as vscode from "vscode";

type PartClass = new (value: string) => vscode.LanguageModelResponsePart;

/** `new vscode.LanguageModelThinkingPart(text)` where it exists (the agents' work as it streams), else null. */
export function thinkingPart(text: string): vscode.LanguageModelResponsePart | null {
  const ThinkingPart = (vscode as unknown as { LanguageModelThinkingPart?: PartClass }).LanguageModelThinkingPart;
  return ThinkingPart == null ? null : new ThinkingPart(text);
}

/** The text of a message's parts (text parts only; a plain string from older callers as it is). */
export function messageText(message: { content: unknown }): string {
  const content = message.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (typeof part === "string" ? part : part instanceof vscode.LanguageModelTextPart ? part.value : typeof (part as { value?: unknown })?.value === "string" ? (part as { value: string }).value : ""))
    .join("");
}
