// Our own small component module: the ONLY file that knows which web-component library draws the controls.
// Today that is @vscode/webview-ui-toolkit (the user's choice; archived upstream in January 2025). Moving to a
// maintained library such as @vscode-elements/elements means rewriting the bodies below - tag names and the few
// properties used - and nothing else: the webviews call these functions, never the library.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeTextArea,
} from "@vscode/webview-ui-toolkit";

let registered = false;

/** Defines the custom elements once per page. */
export function registerComponents(): void {
  if (registered) return;
  registered = true;
  // Not vsCodeBadge, vsCodeTag (a badge underneath) nor vsCodeProgressRing: their templates carry inline style
  // attributes, which our Content Security Policy refuses; badge(), tag() and progressRing() below are our own.
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeTextArea());
}

export interface ButtonOptions {
  /** Visible label; an icon-only button has none and relies on `title`. */
  label?: string;
  /** A codicon name (e.g. "send"), shown before the label. */
  icon?: string;
  /** Tooltip and accessible name. */
  title: string;
  /** Defaults to "primary" with a label, "icon" without one. */
  appearance?: "primary" | "secondary" | "icon";
  onClick: () => void;
}

/** A button: Enter and Space activate it like a click (the library's focusable control). */
export interface ButtonElement {
  element: HTMLElement;
  setDisabled(disabled: boolean): void;
  isDisabled(): boolean;
  click(): void;
}

export function button(options: ButtonOptions): ButtonElement {
  const el = document.createElement("vscode-button") as HTMLElement & { disabled: boolean; appearance: string };
  el.setAttribute("appearance", options.appearance ?? (options.label ? "primary" : "icon"));
  el.setAttribute("title", options.title);
  el.setAttribute("aria-label", options.title);
  if (options.icon) {
    const icon = document.createElement("span");
    icon.className = `codicon codicon-${options.icon}`;
    if (options.label) icon.setAttribute("slot", "start");
    el.append(icon);
  }
  if (options.label) el.append(document.createTextNode(options.label));
  el.addEventListener("click", () => {
    if (!el.disabled) options.onClick();
  });
  return {
    element: el,
    setDisabled: (disabled) => {
      el.disabled = disabled;
      el.toggleAttribute("disabled", disabled);
    },
    isDisabled: () => el.disabled === true || el.hasAttribute("disabled"),
    click: () => el.click(),
  };
}

export interface TextAreaOptions {
  placeholder: string;
  /** Accessible name. */
  label: string;
  rows?: number;
  /** Enter without Shift; Shift+Enter inserts a new line. */
  onSubmit: () => void;
}

export interface TextAreaElement {
  element: HTMLElement;
  value(): string;
  setValue(value: string): void;
  focus(): void;
}

export function textArea(options: TextAreaOptions): TextAreaElement {
  const el = document.createElement("vscode-text-area") as HTMLElement & { value: string };
  el.setAttribute("placeholder", options.placeholder);
  el.setAttribute("aria-label", options.label);
  el.setAttribute("rows", String(options.rows ?? 3));
  el.setAttribute("resize", "vertical");
  el.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      options.onSubmit();
    }
  });
  return {
    element: el,
    value: () => el.value ?? "",
    setValue: (value) => {
      el.value = value;
    },
    focus: () => el.focus(),
  };
}

/** An indeterminate spinner with an accessible label (the codicon's own spin animation). */
export function progressRing(label: string): HTMLElement {
  const el = document.createElement("span");
  el.className = "codicon codicon-loading codicon-modifier-spin";
  el.setAttribute("role", "progressbar");
  el.setAttribute("aria-label", label);
  return el;
}

/** A small count or status pill (our own element: see registerComponents). */
export function badge(text: string): HTMLElement {
  const el = document.createElement("span");
  el.className = "haps-badge";
  el.textContent = text;
  return el;
}

/** A read-only label (a mode, a verdict). */
export function tag(text: string): HTMLElement {
  const el = document.createElement("span");
  el.className = "haps-tag";
  el.textContent = text;
  return el;
}
