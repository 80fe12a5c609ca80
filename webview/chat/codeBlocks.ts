// Code blocks in the chat: each fenced block rendered by the Markdown renderer (already highlighted) gets a header
// with its language and three buttons - Copy, Insert at Cursor, New File - that hand the block's code to the
// extension (clipboard, the last text editor, an untitled document). The page itself touches neither the clipboard
// nor any editor.
import { button } from "../shared/components.ts";
import { h } from "../shared/dom.ts";
import type { CodeAction } from "./protocol.ts";

export const CODE_BUTTONS: readonly { action: CodeAction; label: string; icon: string; title: string }[] = [
  { action: "copy", label: "Copy", icon: "copy", title: "Copy the code" },
  { action: "insert", label: "Insert at Cursor", icon: "insert", title: "Insert the code at the cursor of the last active editor (replacing its selection)" },
  { action: "newFile", label: "New File", icon: "new-file", title: "Open the code in a new untitled file" },
];

/** The fence's language, from markdown-it's `language-…` class on <code>; "" for a block without one. */
export function blockLanguage(code: Element): string {
  return [...code.classList].find((c) => c.startsWith("language-"))?.slice("language-".length) ?? "";
}

/** Wraps every <pre><code> under `root` in a block with its header and buttons. */
export function decorateCodeBlocks(root: ParentNode, onAction: (action: CodeAction, code: string, language: string) => void): void {
  for (const pre of root.querySelectorAll<HTMLPreElement>("pre")) {
    const code = pre.querySelector(":scope > code");
    if (code == null || pre.parentElement?.classList.contains("code-block")) continue;
    const language = blockLanguage(code);
    const text = (code.textContent ?? "").replace(/\n$/, "");
    const buttons = CODE_BUTTONS.map((b) => {
      const control = button({
        label: b.label,
        icon: b.icon,
        title: b.title,
        appearance: "secondary",
        onClick: () => onAction(b.action, text, language),
      });
      control.element.dataset.codeAction = b.action;
      return control.element;
    });
    const block = h(
      "div",
      { class: "code-block", "data-language": language },
      h("div", { class: "code-header" }, h("span", { class: "code-language" }, language || "text"), h("span", { class: "code-buttons" }, buttons)),
    );
    pre.replaceWith(block);
    block.append(pre);
  }
}
