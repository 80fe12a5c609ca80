// What a code block's buttons do, in the chat view and wherever else code is offered: copy it, insert it at the
// cursor of the last text editor (replacing the selection, as every chat does), or open it in a new untitled
// document of its language.
import * as vscode from "vscode";
import type { CodeAction } from "../../../webview/chat/protocol.ts";

/** Fence names (highlight.js's and common aliases) whose VS Code language id differs from the name itself. */
const LANGUAGE_IDS: Record<string, string> = {
  ts: "typescript", tsx: "typescriptreact", js: "javascript", jsx: "javascriptreact", mjs: "javascript", cjs: "javascript",
  py: "python", sh: "shellscript", bash: "shellscript", zsh: "shellscript", shell: "shellscript", console: "shellscript",
  yml: "yaml", md: "markdown", rs: "rust", golang: "go", "c++": "cpp", cc: "cpp", hpp: "cpp", h: "c", cs: "csharp",
  "c#": "csharp", kt: "kotlin", rb: "ruby", ps1: "powershell", pwsh: "powershell", jsonc: "jsonc", json5: "json",
  objc: "objective-c", objectivec: "objective-c", vb: "vb", vbnet: "vb", text: "plaintext", txt: "plaintext", plaintext: "plaintext",
};

/** The VS Code language id for a fence's language name, "plaintext" when this VS Code knows none. */
export async function vscodeLanguageId(fence: string): Promise<string> {
  const name = fence.trim().toLowerCase();
  const id = LANGUAGE_IDS[name] ?? name;
  if (id === "") return "plaintext";
  const known = await vscode.languages.getLanguages();
  return known.includes(id) ? id : "plaintext";
}

/**
 * The editor "Insert at Cursor" writes into: the active text editor, or while the chat has the focus the one that was
 * active last and is still visible.
 */
export class LastTextEditor implements vscode.Disposable {
  private last: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
    if (editor != null) this.last = editor;
  });

  get editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active != null) return active;
    const last = this.last;
    return last != null && vscode.window.visibleTextEditors.includes(last) ? last : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/**
 * A code block of several lines goes in as whole lines: after a line break where the cursor's line has text before
 * it, and followed by one where text follows it, so the block never runs into the surrounding code. A one-line
 * snippet goes in as it is (it may be meant inline).
 */
export function asWholeLines(code: string, before: string, after: string): string {
  const body = code.replace(/\n+$/, "");
  if (!body.includes("\n")) return code;
  return `${before.trim() === "" ? "" : "\n"}${body}${after.trim() === "" ? "" : "\n"}`;
}

export async function runCodeAction(action: CodeAction, code: string, language: string, editors: LastTextEditor): Promise<void> {
  switch (action) {
    case "copy":
      await vscode.env.clipboard.writeText(code);
      vscode.window.setStatusBarMessage("HAPS: code copied", 2000);
      return;
    case "insert": {
      const editor = editors.editor;
      if (editor == null) {
        const choice = await vscode.window.showWarningMessage("HAPS: no open editor to insert the code into.", "Open in a New File");
        if (choice != null) await runCodeAction("newFile", code, language, editors);
        return;
      }
      const document = editor.document;
      const done = await editor.edit((edit) => {
        for (const selection of editor.selections) {
          const before = document.lineAt(selection.start.line).text.slice(0, selection.start.character);
          const after = document.lineAt(selection.end.line).text.slice(selection.end.character);
          edit.replace(selection, asWholeLines(code, before, after));
        }
      });
      if (!done) throw new Error(`could not insert into ${vscode.workspace.asRelativePath(editor.document.uri)} (is it read-only?)`);
      await vscode.window.showTextDocument(editor.document, editor.viewColumn);
      return;
    }
    case "newFile": {
      const document = await vscode.workspace.openTextDocument({ language: await vscodeLanguageId(language), content: code });
      await vscode.window.showTextDocument(document);
      return;
    }
  }
}
