// The sidebar chat (a webview view in our activity-bar container). The conversation lives here, in the extension:
// the page shows it and can be rebuilt from it at any time. It is kept in the workspace's state, so it survives a
// window reload (per workspace; New Chat clears it). One answer runs at a time; Stop aborts it, which cancels the
// generation inside llama.cpp through the engine channel's request cancellation. Each question is answered over the earlier
// exchanges and the workspace (selection, `#file:` attachments, open editors: workspaceContext.ts).
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import type { EpisodeReport } from "../../core/episode/types.ts";
import { z } from "zod";
import { chatMessageSchema, parseFromChat, type ChatAutomation, type ChatMessage, type ChatSnapshot, type FromChat, type ToChat } from "../../../webview/chat/protocol.ts";
import { candidateName } from "../../../webview/route/routeModel.ts";
import { describeError } from "../errors/describeError.ts";
import type { RouteHistory } from "../routing/RouteHistory.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import type { RoutePanel } from "../webviews/RoutePanel.ts";
import { webviewHtml, webviewOptions } from "../webviews/webviewHtml.ts";
import { runCodeAction, LastTextEditor } from "./codeActions.ts";
import { conversationContext, type Exchange } from "./conversationContext.ts";
import { routeBadge } from "./routeBadge.ts";
import { modelSourceInfo, watchModelSource } from "../welcome/modelSource.ts";
import { gatherQuestionContext } from "./workspaceContext.ts";

/** The workspace-state key of the conversation. */
export const CONVERSATION_KEY = "haps.chat.conversation";

/**
 * Context key: the chat holds a conversation. The Get Started view shows only while no real models are set and the
 * conversation is empty (package.json), so that once a question was asked the conversation gets the sidebar's height;
 * New Chat brings it back. The chat's own models line keeps the two buttons that matter meanwhile.
 */
export const HAS_CONVERSATION_CONTEXT = "haps.chat.hasConversation";

/** Messages kept across reloads (the most recent; older ones are dropped with their answers). */
export const MAX_STORED_MESSAGES = 200;

const storedConversation = z.object({ version: z.literal(1), messages: z.array(chatMessageSchema) });

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = "haps.chat";

  private view: vscode.WebviewView | null = null;
  private ready = false;
  private messages: ChatMessage[] = [];
  private running: { controller: AbortController; done: Promise<void> } | null = null;
  private readonly rendered = new vscode.EventEmitter<ChatSnapshot>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /** What the view reported it shows after each render (read from its DOM). */
  readonly onDidRender = this.rendered.event;
  lastSnapshot: ChatSnapshot | null = null;

  private readonly editors = new LastTextEditor();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runner: RouteRunner,
    private readonly history: RouteHistory,
    private readonly routePanel: RoutePanel,
    private readonly output: vscode.LogOutputChannel,
  ) {
    // The models line follows the settings while the view is open.
    this.subscriptions.push(watchModelSource((info) => this.post({ type: "models", ...info })));
    this.messages = this.restoreConversation();
    this.updateConversationContext();
  }

  private hadConversation: boolean | null = null;

  private updateConversationContext(): void {
    const has = this.messages.length > 0;
    if (has === this.hadConversation) return;
    this.hadConversation = has;
    void vscode.commands.executeCommand("setContext", HAS_CONVERSATION_CONTEXT, has);
  }

  /** The conversation saved in this workspace; an answer that was running when the window closed ends as stopped. */
  private restoreConversation(): ChatMessage[] {
    const saved = this.context.workspaceState.get<unknown>(CONVERSATION_KEY);
    if (saved == null) return [];
    const parsed = storedConversation.safeParse(saved);
    if (!parsed.success) {
      this.output.appendLine(`Chat: the saved conversation is not readable (${parsed.error.issues[0]?.message}); starting a new one`);
      return [];
    }
    return parsed.data.messages.map((m) => (m.state === "streaming" ? { ...m, state: "stopped" as const } : m));
  }

  private saveConversation(): void {
    const messages = this.messages.slice(-MAX_STORED_MESSAGES).map((m) => (m.state === "streaming" ? { ...m, state: "stopped" as const } : m));
    this.context.workspaceState.update(CONVERSATION_KEY, { version: 1, messages }).then(undefined, (error: Error) => {
      this.output.appendLine(`Chat: could not save the conversation: ${error.message}`);
    });
  }

  /** The conversation as the extension holds it (the view shows this). */
  get conversation(): readonly ChatMessage[] {
    return this.messages;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.context.extensionUri);
    view.webview.onDidReceiveMessage((data) => this.onMessage(data), null, this.subscriptions);
    view.onDidChangeVisibility(() => {
      if (!view.visible) this.ready = false;
    }, null, this.subscriptions);
    view.onDidDispose(() => {
      if (this.view === view) this.view = null;
      this.ready = false;
    }, null, this.subscriptions);
    view.webview.html = webviewHtml(view.webview, this.context.extensionUri, {
      bundle: "chat",
      title: "HAPS Chat",
      automation: this.context.extensionMode === vscode.ExtensionMode.Test,
    });
  }

  /** Whether an answer is being generated. */
  get busy(): boolean {
    return this.running != null;
  }

  /**
   * Extension tests: type into the view and press its Send or Stop button, click a badge, or press a button of code
   * block `block`, through the page itself.
   */
  automate(action: ChatAutomation, text?: string, block?: number): void {
    this.post({ type: "automate", action, text, block });
  }

  /** Stops the running answer (if any) and forgets the conversation. */
  async clear(): Promise<void> {
    await this.stop();
    this.messages = [];
    this.updateConversationContext();
    await this.context.workspaceState.update(CONVERSATION_KEY, undefined);
    this.post({ type: "restore", messages: [], busy: false });
  }

  /** Aborts the running answer and waits until its route has ended in the engine. */
  async stop(): Promise<void> {
    const running = this.running;
    if (running == null) return;
    running.controller.abort();
    await running.done;
  }

  private onMessage(data: unknown): void {
    let message: FromChat;
    try {
      message = parseFromChat(data);
    } catch (error) {
      this.output.error(`Chat view: ${(error as Error).message}`);
      return;
    }
    switch (message.type) {
      case "ready":
        this.ready = true;
        this.post({ type: "restore", messages: this.messages, busy: this.busy });
        this.post({ type: "models", ...modelSourceInfo() });
        break;
      case "send":
        void this.send(message.text);
        break;
      case "stop":
        void this.stop();
        break;
      case "openRoute":
        this.routePanel.show(message.routeId);
        break;
      case "runAction":
        void vscode.commands.executeCommand(message.command);
        break;
      case "rendered":
        this.lastSnapshot = message.snapshot;
        this.rendered.fire(message.snapshot);
        break;
      case "codeAction":
        runCodeAction(message.action, message.code, message.language, this.editors).then(undefined, (error: Error) => {
          this.output.appendLine(`Chat: ${message.action}: ${error.message}`);
          void vscode.window.showErrorMessage(`HAPS: ${error.message}`);
        });
        break;
    }
  }

  /** Asks `text`; resolves when the answer has ended (answered, stopped or failed). */
  async send(text: string): Promise<void> {
    if (this.running != null) return;
    const exchanges: Exchange[] = [];
    for (let i = 0; i + 1 < this.messages.length; i++) {
      const [q, a] = [this.messages[i], this.messages[i + 1]];
      if (q.role === "user" && a.role === "assistant" && a.state === "done") exchanges.push({ question: q.text, answer: a.text });
    }
    this.upsert({ id: randomUUID(), role: "user", text, state: "done", live: [] });
    const answer: ChatMessage = { id: randomUUID(), role: "assistant", text: "", state: "streaming", live: [] };
    this.upsert(answer);
    const controller = new AbortController();
    let finish!: () => void;
    this.running = { controller, done: new Promise<void>((resolve) => (finish = resolve)) };
    this.post({ type: "busy", busy: true });
    try {
      await vscode.window.withProgress({ location: { viewId: ChatViewProvider.viewId } }, async () => {
        try {
          const asked = await gatherQuestionContext(text, { editor: this.editors.editor });
          answer.context = { used: asked.packed.used, leftOut: asked.packed.leftOut };
          this.upsert(answer);
          const { routeId, report } = await this.runner.run(
            { question: asked.question, context: [...conversationContext(exchanges), ...asked.packed.paragraphs] },
            {
              signal: controller.signal,
              onStart: (id) => (answer.routeId = id),
              onEvent: (_id, event) => {
                if (event.type !== "text") return;
                const last = answer.live.at(-1);
                if (last?.role === event.role) last.text += event.text;
                else answer.live.push({ role: event.role, text: event.text });
                this.post({ type: "progress", id: answer.id, role: event.role, text: event.text });
              },
            },
          );
          this.finishAnswer(answer, routeId, report);
        } catch (error) {
          const { message, actions } = describeError(error);
          this.output.error(`HAPS chat: ${message}`);
          this.upsert({ ...answer, state: controller.signal.aborted ? "stopped" : "error", error: controller.signal.aborted ? undefined : { message, actions } });
        }
      });
    } finally {
      this.running = null;
      finish();
      this.post({ type: "busy", busy: false });
    }
  }

  private finishAnswer(answer: ChatMessage, routeId: string, report: EpisodeReport): void {
    const view = this.history.get(routeId);
    const names = (id: string) => (view ? candidateName(view, id) : id);
    this.upsert({
      ...answer,
      routeId,
      text: report.answer,
      state: report.stoppedBecause === "aborted" ? "stopped" : "done",
      badge: routeBadge(report, names),
    });
  }

  private upsert(message: ChatMessage): void {
    const i = this.messages.findIndex((m) => m.id === message.id);
    if (i >= 0) this.messages[i] = message;
    else this.messages.push(message);
    this.updateConversationContext();
    this.saveConversation();
    this.post({ type: "message", message });
  }

  private post(message: ToChat): void {
    if (this.view == null || !this.ready) return;
    void this.view.webview.postMessage(message);
  }

  dispose(): void {
    this.running?.controller.abort();
    this.editors.dispose();
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.rendered.dispose();
  }
}
