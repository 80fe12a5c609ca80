// The sidebar chat: a conversation with the routed assistant. Each answer streams what the agents write, ends with
// the answer (Markdown through the sanitising renderer) and a compact route badge that opens the route panel; Stop
// cancels the generation in the engine. The extension owns the conversation; this page shows it and reports back
// what it shows.
import "../shared/base.css";
import "./chat.css";
import { button, progressRing, registerComponents, textArea } from "../shared/components.ts";
import { countUnsafeElements, h, icon, textOf } from "../shared/dom.ts";
import { renderMarkdown } from "../shared/markdown.ts";
import { throttle, onExtensionMessage, vscodeApi } from "../shared/vscodeApi.ts";
import { DEFAULT_CONTEXT_LIMITS } from "../../src/core/data/context/packContext.ts";
import { blockLanguage, decorateCodeBlocks } from "./codeBlocks.ts";
import { CHAT_ACTION_COMMANDS, parseToChat, type ChatMessage, type ChatSnapshot, type CodeAction, type FromChat, type RouteBadge } from "./protocol.ts";

registerComponents();

const post = (message: FromChat) => vscodeApi().postMessage(message);
const automation = document.body.dataset.automation === "on";
const app = document.getElementById("app")!;

const messagesEl = h("div", { class: "messages", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
const input = textArea({
  placeholder: "Ask HAPS… (Enter to send, Shift+Enter for a new line)",
  label: "Question for HAPS",
  rows: 3,
  onSubmit: () => send(),
});
const sendButton = button({ label: "Send", icon: "send", title: "Send (Enter)", onClick: () => send() });
const stopButton = button({ label: "Stop", icon: "debug-stop", title: "Stop the answer being generated", appearance: "secondary", onClick: () => post({ type: "stop" }) });
/** Which models answer (the extension says; see src/extension/welcome/modelSource.ts). */
const modelsEl = h("div", { class: "models-line muted", "data-field": "models", role: "status" });
app.append(modelsEl, messagesEl, h("div", { class: "composer" }, input.element, h("div", { class: "composer-buttons" }, sendButton.element, stopButton.element)));

const messages = new Map<string, ChatMessage>();
let busy = false;

function send(): void {
  const text = input.value().trim();
  if (text.length === 0 || busy) return;
  post({ type: "send", text });
  input.setValue("");
}

function setBusy(value: boolean): void {
  busy = value;
  sendButton.setDisabled(busy);
  stopButton.setDisabled(!busy);
}

/**
 * One compact line (the sidebar is narrow, and the conversation needs its height): which models answer, and while the
 * embedded ones do, two link buttons to set real ones. The longer explanation is the line's tooltip and the Get
 * Started view's.
 */
function renderModels(embedded: boolean, label: string, detail: string | undefined): void {
  modelsEl.classList.toggle("embedded", embedded);
  modelsEl.title = detail ? `${label} ${detail}` : label;
  const link = (text: string, command: (typeof CHAT_ACTION_COMMANDS)[number], title: string) => {
    const el = h("button", { type: "button", class: "link-button", title }, text);
    el.addEventListener("click", () => post({ type: "runAction", command }));
    return el;
  };
  modelsEl.replaceChildren(
    icon(embedded ? "info" : "server-process"),
    h("span", { class: "models-label" }, ` ${label}`),
    embedded
      ? h(
          "span",
          { class: "actions" },
          " ",
          link("Download Starter Models", "haps.downloadStarterModels", "Download a real router and candidates (sizes are shown first)"),
          " · ",
          link("Select Models", "haps.selectModels", "Choose a configuration file or your own GGUF models"),
        )
      : "",
  );
}

function renderEmpty(): void {
  if (messages.size > 0) return;
  messagesEl.replaceChildren(
    h(
      "div",
      { class: "empty muted" },
      h("p", {}, icon("hubot"), " Ask a question."),
      h("p", {}, "HAPS routes it to a local model for each agent (a Student that reasons and searches, a Teacher that reviews) and attaches an adapter generated for your question."),
      h("p", {}, `The agents search the earlier questions and answers, your selection, files you attach with #file:path (inside the workspace folders) and the open editors: up to ${DEFAULT_CONTEXT_LIMITS.maxChars.toLocaleString("en-US")} characters, in that order. Each answer says what it searched and what was left out.`),
    ),
  );
}

const agentLabel = (agent: string) => agent.charAt(0).toUpperCase() + agent.slice(1);

function badgeText(badge: RouteBadge): string {
  const agents = badge.agents.map((a) => `${agentLabel(a.agent)}: ${a.model}${a.adapter ? " +LoRA" : ""}`).join(" · ");
  return `${agents} · ${badge.tokens.input + badge.tokens.output} tokens · cost ${badge.cost}`;
}

const codeAction = (action: CodeAction, code: string, language: string) => post({ type: "codeAction", action, code, language });

/** Markdown (a question or an answer) through the sanitising renderer, its code blocks with their buttons. */
function markdownElement(className: string, text: string): HTMLElement {
  const el = h("div", { class: `${className} markdown`, "data-field": "text" });
  el.append(renderMarkdown(text));
  decorateCodeBlocks(el, codeAction);
  return el;
}

function contextLine(context: NonNullable<ChatMessage["context"]>): HTMLElement | null {
  if (context.used.length === 0 && context.leftOut.length === 0) return null;
  const used = context.used.length > 0 ? `Searched: ${context.used.join(", ")}` : "No workspace context";
  const leftOut = context.leftOut.length > 0 ? ` · left out: ${context.leftOut.map((l) => `${l.label} (${l.reason})`).join(", ")}` : "";
  return h("p", { class: "context-line muted", "data-field": "context", title: used + leftOut }, icon("references"), ` ${used}${leftOut}`);
}

function messageElement(message: ChatMessage): HTMLElement {
  if (message.role === "user") {
    // Questions are Markdown too: code pasted in a fence is shown highlighted, with the same buttons.
    return h("article", { class: "message user", "data-message": message.id, "data-role": "user", "data-state": message.state }, markdownElement("user-text", message.text));
  }
  const streaming = message.state === "streaming";
  const live = h(
    "details",
    { class: "live", open: streaming },
    h("summary", {}, streaming ? "The agents are working…" : `Dialogue (${message.live.length} part${message.live.length === 1 ? "" : "s"})`),
    h(
      "div",
      { class: "live-body", "data-field": "live" },
      message.live.map((stretch) => h("div", { class: "stretch", "data-live": stretch.role }, h("span", { class: "role" }, agentLabel(stretch.role)), h("pre", {}, stretch.text))),
    ),
  );
  const head = h(
    "div",
    { class: "message-head" },
    icon("hubot"),
    h("span", { class: "who" }, "HAPS"),
    streaming ? progressRing("Answering") : null,
    message.state === "stopped" ? h("span", { class: "muted" }, " · stopped") : null,
  );
  const answer = message.text ? markdownElement("answer", message.text) : h("div", { class: "answer markdown", "data-field": "text" });
  if (!message.text) if (!streaming && message.state !== "error") answer.append(h("p", { class: "muted" }, message.state === "stopped" ? "(stopped before an answer)" : "(empty answer)"));
  const el = h(
    "article",
    { class: `message assistant state-${message.state}`, "data-message": message.id, "data-role": "assistant", "data-state": message.state },
    head,
    message.context ? contextLine(message.context) : null,
    message.live.length > 0 || streaming ? live : null,
    answer,
  );
  if (message.badge && message.routeId) {
    const routeId = message.routeId;
    const badgeButton = h("button", { type: "button", class: "route-badge", "data-field": "badge", title: "Open the route of this answer in the route panel" }, icon("git-merge"), ` ${badgeText(message.badge)}`);
    badgeButton.addEventListener("click", () => post({ type: "openRoute", routeId }));
    el.append(badgeButton);
  }
  if (message.error) {
    el.append(
      h("p", { class: "error-text", role: "alert" }, icon("error"), ` ${message.error.message}`),
      h(
        "div",
        { class: "actions" },
        message.error.actions.map((action) => button({ label: action.title, title: action.title, appearance: "secondary", onClick: () => post({ type: "runAction", command: action.command }) }).element),
      ),
    );
  }
  return el;
}

function upsert(message: ChatMessage): void {
  if (messages.size === 0) messagesEl.replaceChildren();
  messages.set(message.id, message);
  const el = messageElement(message);
  const existing = messagesEl.querySelector(`[data-message="${CSS.escape(message.id)}"]`);
  if (existing) existing.replaceWith(el);
  else messagesEl.append(el);
  el.scrollIntoView({ block: "end" });
}

function appendProgress(id: string, role: string, text: string): void {
  const message = messages.get(id);
  if (message == null) return;
  const last = message.live.at(-1);
  const el = messagesEl.querySelector(`[data-message="${CSS.escape(id)}"]`);
  const body = el?.querySelector(".live-body");
  if (last != null && last.role === role) {
    last.text += text;
    body?.lastElementChild?.querySelector("pre")?.append(document.createTextNode(text));
  } else {
    message.live.push({ role, text });
    body?.append(h("div", { class: "stretch", "data-live": role }, h("span", { class: "role" }, agentLabel(role)), h("pre", {}, text)));
  }
  body?.lastElementChild?.scrollIntoView({ block: "end" });
}

function snapshot(): ChatSnapshot {
  return {
    messages: [...messagesEl.querySelectorAll<HTMLElement>("article[data-message]")].map((el) => ({
      role: el.dataset.role!,
      state: el.dataset.state!,
      text: textOf(el, '[data-field="text"]'),
      live: textOf(el, '[data-field="live"]'),
      badge: textOf(el, '[data-field="badge"]'),
      context: textOf(el, '[data-field="context"]'),
    })),
    codeBlocks: [...messagesEl.querySelectorAll<HTMLElement>(".code-block")].map((block) => {
      const code = block.querySelector("pre > code");
      return {
        language: code ? blockLanguage(code) : "",
        // Only tokens that are on screen: a highlighted span with a colour that differs from the block's text.
        highlightedTokens: [...block.querySelectorAll<HTMLElement>("pre span[class^='hljs-']")].filter(
          (span) => span.offsetParent != null && getComputedStyle(span).color !== getComputedStyle(code!).color,
        ).length,
        buttons: [...block.querySelectorAll<HTMLElement>("[data-code-action]")].map((b) => b.getAttribute("aria-label") ?? ""),
        code: code?.textContent ?? "",
      };
    }),
    busy,
    sendEnabled: !sendButton.isDisabled(),
    stopEnabled: !stopButton.isDisabled(),
    unsafeElements: countUnsafeElements(messagesEl),
    models: modelsEl.textContent ?? "",
  };
}

const reportRendered = throttle(() => post({ type: "rendered", snapshot: snapshot() }), 100);

onExtensionMessage(parseToChat, (message) => {
  switch (message.type) {
    case "restore":
      messages.clear();
      messagesEl.replaceChildren();
      for (const m of message.messages) upsert(m);
      renderEmpty();
      setBusy(message.busy);
      break;
    case "message":
      upsert(message.message);
      break;
    case "progress":
      appendProgress(message.id, message.role, message.text);
      break;
    case "busy":
      setBusy(message.busy);
      break;
    case "models":
      renderModels(message.embedded, message.label, message.detail);
      break;
    case "automate":
      if (!automation) return;
      // The view's own controls, as a person would use them.
      if (message.action === "send") {
        input.setValue(message.text ?? "");
        sendButton.click();
      } else if (message.action === "stop") {
        stopButton.click();
      } else if (message.action === "openRoute") {
        [...messagesEl.querySelectorAll<HTMLButtonElement>(".route-badge")].at(-1)?.click();
      } else {
        const block = messagesEl.querySelectorAll(".code-block")[message.block ?? 0];
        block?.querySelector<HTMLElement>(`[data-code-action="${message.action}"]`)?.click();
      }
      return;
  }
  reportRendered();
});

renderEmpty();
setBusy(false);
input.focus();
post({ type: "ready" });
