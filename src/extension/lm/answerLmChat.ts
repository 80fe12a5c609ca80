// The extension's answer to the engine's `lmChat` host call: one turn of a `vscode-lm` candidate, sent to the
// VS Code language model its selector picks (`vscode.lm.selectChatModels`), its reply streamed back piece by piece,
// tokens counted with that model's own `countTokens`. The engine cannot do this itself: it runs in a child process,
// and `vscode.lm` exists only in the extension host.
import * as vscode from "vscode";
import type { HostHandlers, LmSelector } from "../../core/host/types.ts";

/** How often, in characters of reply, the length is counted in tokens once it may have reached the limit. */
const COUNT_EVERY_CHARS = 32;

export function lmChatHandler(getApi: () => typeof vscode.lm | null = () => vscode.lm): HostHandlers["lmChat"] {
  return async (params, { signal, emit }) => {
    const lm = getApi();
    const who = `candidate "${params.candidate}" (VS Code language model ${describeSelector(params.selector)})`;
    if (lm == null) throw new Error(`${who}: this VS Code has no language model API (vscode.lm); give the candidate another kind`);
    // One source for the request (also ended at the token limit) and one for counting (ended only by the engine).
    const request = linkedSource(signal);
    const counting = linkedSource(signal);
    try {
      const models = await lm.selectChatModels(params.selector);
      if (models.length === 0) {
        const all = await lm.selectChatModels({}).then((m) => m.map((x) => `${x.vendor}/${x.family}/${x.id}`), () => []);
        throw new Error(`${who}: no model matches; models this VS Code offers: ${all.length > 0 ? all.join(", ") : "none"}`);
      }
      const model = models[0];
      const messages = params.messages.map((m) => (m.role === "user" ? vscode.LanguageModelChatMessage.User(m.content) : vscode.LanguageModelChatMessage.Assistant(m.content)));
      let text = "";
      try {
        const response = await model.sendRequest(messages, { justification: params.justification }, request.token);
        let counted = 0;
        for await (const piece of response.text) {
          if (signal.aborted) break;
          text += piece;
          emit("text", { text: piece });
          // A token is at least a character in every tokenizer we know: below maxTokens characters, nothing to count.
          if (text.length >= params.maxTokens && text.length - counted >= COUNT_EVERY_CHARS) {
            counted = text.length;
            if ((await model.countTokens(text, counting.token)) >= params.maxTokens) break;
          }
        }
      } catch (error) {
        if (!signal.aborted) throw new Error(`${who}: ${describeLmError(error)}`);
      }
      signal.throwIfAborted();
      request.source.cancel(); // the reply reached maxTokens (or ended): nothing more is read
      const counts = await Promise.all([...messages.map((m) => model.countTokens(m, counting.token)), model.countTokens(text, counting.token)]);
      const outputTokens = counts.pop()!;
      return { text, promptTokens: counts.reduce((a, b) => a + b, 0), outputTokens, model: `${model.vendor}/${model.family}/${model.id}` };
    } finally {
      request.dispose();
      counting.dispose();
    }
  };
}

export function describeSelector(selector: LmSelector): string {
  const parts = (["vendor", "family", "id", "version"] as const).filter((k) => selector[k] != null).map((k) => `${k} "${selector[k]}"`);
  return parts.join(", ");
}

/** LanguageModelError carries a code (NoPermissions, Blocked, NotFound) worth naming. */
function describeLmError(error: unknown): string {
  if (error instanceof vscode.LanguageModelError) return `${error.code || "LanguageModelError"}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function linkedSource(signal: AbortSignal): { source: vscode.CancellationTokenSource; token: vscode.CancellationToken; dispose(): void } {
  const source = new vscode.CancellationTokenSource();
  const cancel = () => source.cancel();
  signal.addEventListener("abort", cancel, { once: true });
  return {
    source,
    token: source.token,
    dispose: () => {
      signal.removeEventListener("abort", cancel);
      source.dispose();
    },
  };
}

