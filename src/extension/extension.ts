// Entry point. Activation is lazy (VS Code activates on the first contributed command, the chat view or a notebook);
// llama.cpp never runs in this process, only in the engine child process that EngineHost supervises. Everything
// here is a thin layer: settings in, engine requests out, results shown.
import * as vscode from "vscode";
import type { RouteSnapshot } from "../../webview/route/protocol.ts";
import type { ChatAutomation, ChatMessage, ChatSnapshot } from "../../webview/chat/protocol.ts";
import { answerChatRequest, registerHapsParticipant, type MarkdownStream } from "./chat/hapsParticipant.ts";
import { ChatViewProvider } from "./chat/ChatViewProvider.ts";
import { routeQuery } from "./commands/routeQuery.ts";
import { selectModels } from "./commands/selectModels.ts";
import { setCostPreference } from "./commands/setCostPreference.ts";
import { EngineHost } from "./EngineHost.ts";
import { EvalNotebookController } from "./notebook/EvalNotebookController.ts";
import { EvalNotebookSerializer, NOTEBOOK_TYPE } from "./notebook/EvalNotebookSerializer.ts";
import { newEvaluationNotebook } from "./commands/newEvaluationNotebook.ts";
import { trainRouter } from "./commands/trainRouter.ts";
import { RouteHistory } from "./routing/RouteHistory.ts";
import { RouteRunner, type RouteQuery } from "./routing/RouteRunner.ts";
import { showRuntimeInfo } from "./commands/showRuntimeInfo.ts";
import { showError } from "./errors/showError.ts";
import { HapsStatusBar } from "./statusBar/HapsStatusBar.ts";
import { openRoutePanel, type OpenRoutePanelArg } from "./commands/openRoutePanel.ts";
import { RoutePanel } from "./webviews/RoutePanel.ts";
import { ModelDownloads, type DownloadReport } from "./downloads/ModelDownloads.ts";
import { manageModels } from "./downloads/manageModels.ts";
import { sharedModelCacheDir } from "./engineSettings.ts";
import { downloadStarterModels } from "./downloads/downloadStarterModels.ts";
import { lmChatHandler } from "./lm/answerLmChat.ts";
import type { HapsChatModelProvider } from "./lm/HapsChatModelProvider.ts";
import { registerHapsLanguageModel } from "./lm/registerHapsLanguageModel.ts";
import { ApiKeyStore, type ApiKeyTarget } from "./secrets/ApiKeyStore.ts";
import { recordOutput } from "./secrets/OutputRecorder.ts";
import { setApiKey } from "./secrets/setApiKey.ts";
import { WelcomeViewProvider } from "./welcome/modelSource.ts";

/**
 * What `activate` returns (`vscode.extensions.getExtension("haps.haps-router").exports`): read-only views of the
 * extension's state and the same entry points the UI uses, for the extension tests and for other extensions.
 */
export interface HapsExtensionApi {
  /** Requests in flight in the engine; 0 when it is idle. */
  engineActiveRequests(): number;
  /** Requests sent to the engine since activation (a request starts the engine when it is not running). */
  engineRequestsSent(): number;
  /** Routes a query as the commands do; rejects with the error a user would see. */
  route(query: RouteQuery): ReturnType<RouteRunner["run"]>;
  /** The last query routed (its question and the paragraphs the agents could search), by any entry point. */
  lastRouteQuery(): RouteQuery | null;
  routePanel: { readonly onDidRender: vscode.Event<RouteSnapshot>; lastSnapshot(): RouteSnapshot | null; shownRouteId(): string | null };
  chat: {
    readonly onDidRender: vscode.Event<ChatSnapshot>;
    lastSnapshot(): ChatSnapshot | null;
    busy(): boolean;
    /** The conversation the extension holds (and keeps in the workspace's state). */
    conversation(): readonly ChatMessage[];
    /**
     * Tests: type into the chat view and press Send, press Stop, click the last badge, or press a button of the code
     * block `block`, through the page's own controls.
     */
    automate(action: ChatAutomation, text?: string, block?: number): void;
  };
  /** Whether `@haps` is registered (VS Code offers chat participants here). */
  chatParticipantRegistered: boolean;
  /** The @haps handler with a stream of the caller's (this VS Code's Chat view cannot be driven by tests). */
  answerChat(question: string, stream: MarkdownStream, token: vscode.CancellationToken, references?: readonly vscode.ChatPromptReference[]): Promise<vscode.ChatResult>;
  statusBarText(): string;
  /** "HAPS (local, routed)", the provider registered with vscode.lm. */
  languageModel: { provider: HapsChatModelProvider };
  /** Model downloads: what the progress notification shows, whether one runs, and its Cancel. */
  downloads: { readonly onDidReport: vscode.Event<DownloadReport>; busy(): boolean; cancel(): void };
  /** The targets (candidate ids, base URLs) that have an API key; never the keys. */
  apiKeyTargets(): ApiKeyTarget[];
}

/** Test runs only (ExtensionMode.Test): what the "HAPS Router" log was given so far (the last megabyte). */
export const TEST_LOG_COMMAND = "haps.test.logText";

let engine: EngineHost | null = null;

export function activate(context: vscode.ExtensionContext): HapsExtensionApi {
  const log = vscode.window.createOutputChannel("HAPS Router", { log: true });
  // Tests read what the log was given through a command that exists in test runs only (never the public API).
  const testing = context.extensionMode === vscode.ExtensionMode.Test;
  const recorded = testing ? recordOutput(log) : null;
  const output = recorded?.channel ?? log;
  const apiKeys = new ApiKeyStore(context.secrets, context.globalState);
  // The engine asks the extension to answer vscode-lm candidates' turns; openai candidates get the stored keys.
  const host = new EngineHost(context, output, { hostHandlers: { lmChat: lmChatHandler() }, apiKeys });
  engine = host;
  const history = new RouteHistory();
  const downloads = new ModelDownloads(host, output, context.workspaceState);
  const runner = new RouteRunner(host, history, downloads);
  const panel = new RoutePanel(context, history, output);
  const chat = new ChatViewProvider(context, runner, history, panel, output);
  const statusBar = new HapsStatusBar(host);
  const participant = registerHapsParticipant(context, runner, history);
  const languageModel = registerHapsLanguageModel(runner, host, output, context.globalStorageUri.fsPath);
  const notebookController = new EvalNotebookController(host, context.globalStorageUri, output);

  context.subscriptions.push(
    output,
    apiKeys,
    downloads,
    languageModel.registration,
    history,
    panel,
    chat,
    statusBar,
    notebookController,
    ...(participant ? [participant] : []),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat),
    vscode.window.registerTreeDataProvider(WelcomeViewProvider.viewId, new WelcomeViewProvider()),
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new EvalNotebookSerializer(), { transientOutputs: false }),
    vscode.commands.registerCommand("haps.routeQuery", (args?: unknown) => routeQuery(runner, panel, output, args)),
    vscode.commands.registerCommand("haps.openRoutePanel", (arg?: OpenRoutePanelArg) => openRoutePanel(panel, history, output, arg)),
    vscode.commands.registerCommand("haps.selectModels", () => selectModels()),
    vscode.commands.registerCommand("haps.setCostPreference", (value?: number) => setCostPreference(typeof value === "number" ? value : undefined)),
    vscode.commands.registerCommand("haps.showRuntimeInfo", () => showRuntimeInfo(host, output)),
    vscode.commands.registerCommand("haps.newEvaluationNotebook", () => newEvaluationNotebook()),
    vscode.commands.registerCommand("haps.trainRouter", (args?: unknown) => trainRouter(host, output, args)),
    vscode.commands.registerCommand("haps.restartEngine", async () => {
      await host.restart();
      output.info("HAPS engine stopped; it starts again on the next request.");
    }),
    vscode.commands.registerCommand("haps.openSettings", () => vscode.commands.executeCommand("workbench.action.openSettings", `@ext:${context.extension.id}`)),
    vscode.commands.registerCommand("haps.showLog", () => output.show(true)),
    vscode.commands.registerCommand("haps.chat.clear", () => chat.clear()),
    vscode.commands.registerCommand("haps.setApiKey", (args?: unknown) => setApiKey(apiKeys, output, args)),
    vscode.commands.registerCommand("haps.manageModels", (args?: unknown) => manageModels(sharedModelCacheDir(), output, args)),
    ...(recorded ? [vscode.commands.registerCommand(TEST_LOG_COMMAND, () => recorded.text())] : []),
    vscode.commands.registerCommand("haps.downloadStarterModels", async (args?: unknown) => {
      try {
        return await downloadStarterModels(downloads, context.globalStorageUri.fsPath, args);
      } catch (error) {
        showError(error, output, "Download Starter Models");
        return undefined;
      }
    }),
  );

  return {
    engineActiveRequests: () => host.activeRequests,
    engineRequestsSent: () => host.requestsSent,
    route: (query) => runner.run(query),
    lastRouteQuery: () => runner.lastQuery,
    routePanel: { onDidRender: panel.onDidRender, lastSnapshot: () => panel.lastSnapshot, shownRouteId: () => panel.shownRouteId },
    chat: {
      onDidRender: chat.onDidRender,
      lastSnapshot: () => chat.lastSnapshot,
      busy: () => chat.busy,
      conversation: () => chat.conversation,
      automate: (action, text, block) => chat.automate(action, text, block),
    },
    chatParticipantRegistered: participant != null,
    answerChat: (question, stream, token, references) => answerChatRequest(runner, history, question, [], stream, token, references),
    statusBarText: () => statusBar.text,
    languageModel: { provider: languageModel.provider },
    downloads: { onDidReport: downloads.onDidReport, busy: () => downloads.busy, cancel: () => downloads.cancel() },
    apiKeyTargets: () => apiKeys.targets(),
  };
}

export async function deactivate(): Promise<void> {
  // Awaited by VS Code (within its shutdown budget), so the engine gets its `shutdown` instead of being orphaned.
  await engine?.dispose();
  engine = null;
}
