// `@haps` in VS Code's own Chat view, where that API exists (feature-detected: VS Code for the web and older
// versions may lack it). It routes the request like the sidebar chat and streams the same content as Markdown: the
// workspace context it searched (the selection, the files and ranges attached with #file, the open editors) and what
// did not fit, the routing decision, what each agent writes (in fenced blocks, as text), the answer, and a button to
// the route panel.
import * as vscode from "vscode";
import type { EpisodeReport } from "../../core/episode/types.ts";
import { candidateName, formatCost, formatPercent, totalTokens } from "../../../webview/route/routeModel.ts";
import { describeError } from "../errors/describeError.ts";
import type { RouteHistory } from "../routing/RouteHistory.ts";
import type { RouteRunner } from "../routing/RouteRunner.ts";
import { describePackedContext } from "../../core/data/context/packContext.ts";
import { conversationContext, type Exchange } from "./conversationContext.ts";
import { gatherQuestionContext } from "./workspaceContext.ts";

export const PARTICIPANT_ID = "haps.router";

/** What a finished @haps answer keeps in its result, so that later requests can see the conversation. */
interface HapsChatMetadata {
  question: string;
  answer: string;
  routeId: string;
}

/** The part of ChatResponseStream used here. */
export type MarkdownStream = Pick<vscode.ChatResponseStream, "markdown" | "progress" | "button">;

/** Registers `@haps` when this VS Code offers chat participants; returns null where it does not. */
export function registerHapsParticipant(context: vscode.ExtensionContext, runner: RouteRunner, history: RouteHistory): vscode.Disposable | null {
  const chat = (vscode as { chat?: typeof vscode.chat }).chat;
  if (typeof chat?.createChatParticipant !== "function") return null;
  const participant = chat.createChatParticipant(PARTICIPANT_ID, (request, chatContext, stream, token) =>
    answerChatRequest(runner, history, request.prompt, previousExchanges(chatContext.history), stream, token, request.references),
  );
  participant.iconPath = vscode.Uri.joinPath(context.extensionUri, "media", "haps.svg");
  return participant;
}

function previousExchanges(history: vscode.ChatContext["history"]): Exchange[] {
  const exchanges: Exchange[] = [];
  for (const turn of history) {
    const metadata = (turn as vscode.ChatResponseTurn).result?.metadata as HapsChatMetadata | undefined;
    if (turn instanceof vscode.ChatResponseTurn && typeof metadata?.answer === "string") {
      exchanges.push({ question: metadata.question, answer: metadata.answer });
    }
  }
  return exchanges;
}

/** Backticks in model text become U+02CB, so that nothing an agent writes can close the fence it streams into. */
const fenced = (text: string) => text.replace(/`/g, "\u02cb");

/** Routes `question` and streams it to `stream`; the chat result's metadata carries the answer. */
export async function answerChatRequest(
  runner: RouteRunner,
  history: RouteHistory,
  question: string,
  exchanges: Exchange[],
  stream: MarkdownStream,
  token: vscode.CancellationToken,
  references: readonly vscode.ChatPromptReference[] = [],
): Promise<vscode.ChatResult> {
  const controller = new AbortController();
  const cancel = token.onCancellationRequested(() => controller.abort());
  let speaking: string | null = null;
  let routeId = "";
  const closeFence = () => {
    if (speaking != null) stream.markdown("\n```\n");
    speaking = null;
  };
  try {
    const asked = await gatherQuestionContext(question, { references });
    const contextNote = describePackedContext(asked.packed);
    if (contextNote !== "") {
      const note = new vscode.MarkdownString();
      note.appendText(contextNote);
      stream.markdown(note);
      stream.markdown("\n\n");
    }
    stream.progress("Routing the question to local models…");
    const { report } = await runner.run(
      { question: asked.question, context: [...conversationContext(exchanges), ...asked.packed.paragraphs] },
      {
        signal: controller.signal,
        onStart: (id) => (routeId = id),
        onEvent: (id, event) => {
          const view = history.get(id);
          const name = (c: string) => (view ? candidateName(view, c) : c);
          if (event.type === "assignment") {
            const lines = Object.entries(event.assignment.choice).map(
              ([agent, c]) => `- **${agent}** → ${escapeMarkdown(name(c))} (${formatPercent(event.assignment.probabilities[agent]?.[c] ?? 0)})`,
            );
            stream.markdown(`Routing (${event.assignment.mode}, α ${(view?.alpha ?? 0).toFixed(2)}):\n${lines.join("\n")}\n\n`);
          } else if (event.type === "text") {
            if (speaking !== event.role) {
              closeFence();
              stream.markdown(`**${event.role}**\n\`\`\`text\n`);
              speaking = event.role;
            }
            stream.markdown(fenced(event.text));
          }
        },
      },
    );
    closeFence();
    streamAnswer(report, history, routeId, stream);
    return { metadata: { question, answer: report.answer, routeId } satisfies HapsChatMetadata };
  } catch (error) {
    closeFence();
    const { message } = describeError(error);
    return { errorDetails: { message } };
  } finally {
    cancel.dispose();
  }
}

function streamAnswer(report: EpisodeReport, history: RouteHistory, routeId: string, stream: MarkdownStream): void {
  const view = history.get(routeId);
  const name = (c: string) => (view ? candidateName(view, c) : c);
  const tokens = totalTokens(report.tokens);
  const answer = new vscode.MarkdownString();
  answer.appendMarkdown(report.stoppedBecause === "aborted" ? "\n**Stopped.** " : "\n**Answer:** ");
  // Model text as text: appendText escapes Markdown, and the string is neither trusted nor allowed HTML.
  answer.appendText(report.answer || "(no answer)");
  const agents = ["student", "teacher"]
    .filter((a) => report.assignment.choice[a] != null)
    .map((a) => `${a}: ${name(report.assignment.choice[a])}${report.adapters.some((x) => x.agent === a) ? " +LoRA" : ""}`);
  answer.appendMarkdown("\n\n");
  answer.appendText(`${agents.join(" · ")} · ${tokens.input + tokens.output} tokens · cost ${formatCost(report.cost.total)}`);
  stream.markdown(answer);
  stream.button({ command: "haps.openRoutePanel", arguments: [routeId], title: "Open Route Panel" });
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, "\\$&");
}
