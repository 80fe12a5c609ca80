// The routed assistant ("model": "haps") as a chat model: a conversation becomes one episode request, and an episode
// report becomes a chat answer with the route beside it.
//
// The last message (from the user) is the question. Every earlier message - the system prompt, earlier questions and
// answers - becomes a paragraph the agents can search, titled by its role and position, as the extension's chat does
// with its history; `haps.context` adds paragraphs of its own. With `haps.choices` the question is multiple choice.
import type { Paragraph } from "../core/data/TaskItem.ts";
import type { EpisodeReport, EpisodeRequest } from "../core/episode/types.ts";
import { messageText, type ChatRequest } from "./chatRequest.ts";
import { HttpError } from "./HttpError.ts";

/** The name under which `haps serve` offers the routed assistant. */
export const ROUTED_MODEL = "haps";

export function episodeRequestFromChat(request: ChatRequest): EpisodeRequest {
  const messages = request.messages;
  const last = messages.at(-1)!;
  const at = `messages[${messages.length - 1}]`;
  if (last.role !== "user") throw new HttpError(400, `${at}.role: the last message must be the user's question, got "${last.role}"`, "invalid_request_error", `${at}.role`);
  const question = messageText(last).trim();
  if (question === "") throw new HttpError(400, `${at}.content: the question is empty`, "invalid_request_error", `${at}.content`);
  if (request.response_format != null && request.response_format.type !== "text")
    throw new HttpError(400, `response_format: the routed model "${ROUTED_MODEL}" answers in the protocol's own format; ask a candidate model for JSON`, "invalid_request_error", "response_format");
  const context: Paragraph[] = messages.slice(0, -1).flatMap((m, i) => {
    const text = messageText(m).trim();
    return text === "" ? [] : [{ title: `${m.role} message ${i + 1}`, sentences: [text] }];
  });
  context.push(...(request.haps?.context ?? []));
  const result: EpisodeRequest = { question };
  if (context.length > 0) result.context = context;
  if (request.haps?.choices != null) result.choices = request.haps.choices;
  if (request.haps?.alpha != null) result.alpha = request.haps.alpha;
  return result;
}

/** What a client gets to see of a route: the decision, the adapters in brief, how the episode ended, tokens and cost. */
export interface RouteSummary {
  task: EpisodeReport["task"];
  alpha: number;
  assignment: { choice: Record<string, string>; probabilities: Record<string, Record<string, number>>; mode: string };
  adapters: { agent: string; candidate: string; scale: number; rank: number; layers: number[]; generateMs: number; normUpdate: number[] }[];
  stoppedBecause: EpisodeReport["stoppedBecause"];
  turns: number;
  tokens: EpisodeReport["tokens"];
  cost: EpisodeReport["cost"];
  timings: EpisodeReport["timings"];
}

export function routeSummary(report: EpisodeReport): RouteSummary {
  return {
    task: report.task,
    alpha: report.alpha,
    assignment: { choice: report.assignment.choice, probabilities: report.assignment.probabilities, mode: report.assignment.mode },
    adapters: report.adapters.map((a) => ({
      agent: a.agent,
      candidate: a.candidate,
      scale: a.scale,
      rank: a.layers[0]?.rank ?? 0,
      layers: a.layers.map((l) => l.layer),
      generateMs: a.generateMs,
      normUpdate: a.layers.map((l) => l.normUpdate),
    })),
    stoppedBecause: report.stoppedBecause,
    turns: report.transcript.length,
    tokens: report.tokens,
    cost: report.cost,
    timings: report.timings,
  };
}

/** Token usage of a whole episode, over every model: what the routed answer cost in tokens. */
export function episodeUsage(report: EpisodeReport): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  let prompt = 0;
  let completion = 0;
  for (const t of Object.values(report.tokens)) {
    prompt += t.input;
    completion += t.output;
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
