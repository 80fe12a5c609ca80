// Building DOM without HTML strings: every piece of text, model output above all, becomes a text node, so nothing a
// model writes can turn into markup. (The only way markup enters is markdown.ts's sanitised renderer.)

type Child = Node | string | null | undefined | false;

/** An element with attributes (strings; `true` for a bare attribute) and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    // Event handler attributes are never set from here; listeners are added in code.
    if (/^on/i.test(name)) throw new Error(`h(): refusing the event attribute "${name}"`);
    el.setAttribute(name, value === true ? "" : value);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** A codicon, hidden from screen readers (the text next to it carries the meaning). */
export function icon(name: string): HTMLElement {
  return h("span", { class: `codicon codicon-${name}`, "aria-hidden": "true" });
}

/**
 * Elements that would mean some text became markup: scripts, images (also a tracking or onerror vector), frames,
 * objects, styles, forms. The extension tests read this count from the snapshots.
 */
export function countUnsafeElements(root: ParentNode): number {
  return root.querySelectorAll("script, img, iframe, object, embed, style, link, form, svg image, svg foreignObject").length;
}

/** The visible text of the first element matching `selector` under `root`, "" when there is none. */
export function textOf(root: ParentNode, selector: string): string {
  return root.querySelector(selector)?.textContent?.trim() ?? "";
}
