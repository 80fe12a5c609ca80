// "HAPS: Route Query": the selection (or a question typed into an input box) is routed; the route panel opens at
// once and follows the route live. The active editor's text, split into paragraphs, is what the agents can search.
import * as vscode from "vscode";
import { plainTextParagraphs } from "../../core/data/custom/loadContextFile.ts";
import type { Paragraph } from "../../core/data/TaskItem.ts";
import type { EpisodeReport } from "../../core/episode/types.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import type { RoutePanel } from "../webviews/RoutePanel.ts";
import { showError } from "../errors/showError.ts";

/** Documents larger than this are not offered to the agents as paragraphs (BM25 over a whole log file helps nobody). */
const MAX_CONTEXT_CHARS = 200_000;

/** Arguments for a keybinding or a test: the question (skips the input box) and, optionally, paragraphs. */
export interface RouteQueryArgs {
  question?: string;
  context?: Paragraph[];
  choices?: string[];
}

/** Resolves with the report, or undefined when the user cancelled or the route failed (the error was shown). */
export async function routeQuery(
  runner: RouteRunner,
  panel: RoutePanel,
  output: vscode.LogOutputChannel,
  rawArgs?: unknown,
): Promise<EpisodeReport | undefined> {
  // Menus pass their own arguments (the editor's context menu passes the document's URI): only ours are read.
  const args: RouteQueryArgs = rawArgs != null && typeof rawArgs === "object" && !(rawArgs instanceof vscode.Uri) ? { ...(rawArgs as RouteQueryArgs) } : {};
  if (typeof args.question !== "string") args.question = undefined;
  const editor = vscode.window.activeTextEditor;
  const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : "";
  const question =
    args.question?.trim() ||
    selection ||
    (
      await vscode.window.showInputBox({
        title: "HAPS: Route Query",
        prompt: editor ? `Question (the agents can search the paragraphs of ${vscode.workspace.asRelativePath(editor.document.uri)})` : "Question",
        placeHolder: "Which river flows through the city where the Eiffel Tower stands?",
        ignoreFocusOut: true,
      })
    )?.trim();
  if (!question) return undefined;
  const context = args.context ?? documentParagraphs(editor?.document);

  try {
    const { report } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "HAPS: routing the query…", cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return runner.run(
          { question, context, choices: args.choices },
          {
            signal: controller.signal,
            onStart: (routeId) => panel.show(routeId),
            onEvent: (_id, event) => {
              if (event.type === "assignment") progress.report({ message: "the agents are working…" });
            },
          },
        );
      },
    );
    output.info(`HAPS route: "${question}" -> ${JSON.stringify(report.answer)} (${report.stoppedBecause})`);
    return report;
  } catch (error) {
    showError(error, output, "Route Query");
    return undefined;
  }
}

function documentParagraphs(document: vscode.TextDocument | undefined): Paragraph[] | undefined {
  if (document == null) return undefined;
  const text = document.getText();
  if (text.trim().length === 0 || text.length > MAX_CONTEXT_CHARS) return undefined;
  return plainTextParagraphs(text);
}
