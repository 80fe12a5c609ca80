// Code blocks in the chat: each fenced block rendered by the Markdown renderer (already highlighted) gets a header
// with its language and three buttons - Copy, Insert at Cursor, New File - that hand the block's code to the
// extension (clipboard, the last text editor, an untitled document). The page itself touches neither the clipboard
// nor any editor.
import { button } from "../shared/components.ts";
import { h } from "../shared/dom.ts";
import type { CodeAction } from "./protocol.ts";

/** Icon buttons, as in VS Code's own toolbars (a sidebar has no room for three labels); the name is the tooltip. */
export const CODE_BUTTONS: readonly { action: CodeAction; name: string; icon: string }[] = [
  { action: "copy", name: "Copy", icon: "copy" },
  { action: "insert", name: "Insert at Cursor", icon: "insert" },
  { action: "newFile", name: "New File", icon: "new-file" },
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
      const control = button({ icon: b.icon, title: b.name, appearance: "icon", onClick: () => onAction(b.action, text, language) });
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
