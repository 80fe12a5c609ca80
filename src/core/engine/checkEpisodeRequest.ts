// An episode request checked before any model runs, so bad input ends in an error that names the field (or the CLI
// flag) and the limit, never in node-llama-cpp's context-overflow message halfway through an episode.
//
// The length rule: a question, with its choices, may take at most a quarter of the smallest context among the
// router and the candidates (in each model's own tokens). The rest of every prompt is the routing prompt's roles,
// task and candidate list, the protocol's instructions, the paragraphs read and the reply. A longer question is
// refused with the token counts rather than cut: a truncated question is a different question.
import type { HapsConfig } from "../config/HapsConfig.ts";
import type { EpisodeRequest } from "../episode/types.ts";
import { CHOICE_LETTERS } from "../metrics/choice/parseChoiceLetter.ts";
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";

/** The share of a model's context that a question (with its choices) may take. */
export const QUESTION_SHARE_OF_CONTEXT = 0.25;

/** Options a multiple-choice question may have: one per answer letter the protocol knows. */
const MAX_CHOICES = CHOICE_LETTERS.length;

export class EpisodeRequestError extends Error {
  override name = "EpisodeRequestError";
}

/** How the fields are called where the request came from (`--question` on the command line). */
export interface RequestFieldNames {
  question: string;
  choices: string;
}

export interface ModelLimits {
  /** The smallest context among the router and the local candidates, in tokens. */
  smallestContext: number;
  /** The most tokens a question (with its choices) may take: a quarter of `smallestContext`. */
  maxQuestionTokens: number;
  /** The most tokens one agent turn generates (the configuration's `maxTokens`). */
  maxOutputTokens: number;
}

interface ContextModel {
  role: string;
  path: string;
  pooling: HapsConfig["router"]["pooling"] | undefined;
}

/** The router and the local candidates: remote candidates have no tokenizer here (their servers refuse too long a prompt). */
export function contextModels(config: Pick<HapsConfig, "router" | "candidates">): ContextModel[] {
  return [
    // The router is loaded for its pooled feature; tokenizing with that load costs no second copy of the model.
    { role: "router model", path: config.router.model, pooling: config.router.pooling },
    ...config.candidates.filter((c) => c.kind === "local").map((c) => ({ role: `candidate "${c.id}"`, path: c.model, pooling: undefined })),
  ];
}

async function loadForCount(runtime: LlamaRuntime, m: ContextModel) {
  // The first load of each model happens here, so a file llama.cpp cannot use is reported with its role.
  return await runtime.loadModel(m.path, m.pooling == null ? {} : { pooling: m.pooling }).catch((error: Error) => {
    error.message = `${m.role}: ${error.message}`;
    throw error;
  });
}

/** What a request on these models may hold: the limits `checkEpisodeRequest` enforces, for callers to advertise. */
export async function modelLimits(runtime: LlamaRuntime, config: Pick<HapsConfig, "router" | "candidates" | "maxTokens">): Promise<ModelLimits> {
  const contexts: number[] = [];
  for (const m of contextModels(config)) contexts.push((await loadForCount(runtime, m)).contextSize);
  return limitsFromContexts(contexts, config.maxTokens);
}

/** The limits for models with these contexts (in tokens) and this per-turn generation limit. */
export function limitsFromContexts(contexts: readonly number[], maxTokens: number): ModelLimits {
  const smallestContext = Math.min(...contexts);
  return { smallestContext, maxQuestionTokens: Math.floor(QUESTION_SHARE_OF_CONTEXT * smallestContext), maxOutputTokens: maxTokens };
}

/** Throws an EpisodeRequestError unless the request can run on the configured models. */
export async function checkEpisodeRequest(
  runtime: LlamaRuntime,
  config: Pick<HapsConfig, "router" | "candidates">,
  request: EpisodeRequest,
  names: RequestFieldNames = { question: "question", choices: "choices" },
): Promise<void> {
  if (typeof request.question !== "string" || request.question.trim() === "")
    throw new EpisodeRequestError(`${names.question}: give a non-empty question`);
  const choices = request.choices;
  if (choices != null && choices.length > 0) {
    if (choices.length < 2 || choices.length > MAX_CHOICES)
      throw new EpisodeRequestError(`${names.choices}: a multiple-choice question needs 2 to ${MAX_CHOICES} options, got ${choices.length}`);
    const empty = choices.findIndex((c) => typeof c !== "string" || c.trim() === "");
    if (empty >= 0) throw new EpisodeRequestError(`${names.choices}: option ${empty + 1} is empty`);
  }
  const text = [request.question, ...(choices ?? [])].join("\n");
  const counts: { role: string; tokens: number; context: number }[] = [];
  for (const m of contextModels(config)) {
    const loaded = await loadForCount(runtime, m);
    counts.push({ role: m.role, tokens: loaded.model.tokenize(text).length, context: loaded.contextSize });
  }
  const smallest = Math.min(...counts.map((c) => c.context));
  const limit = Math.floor(QUESTION_SHARE_OF_CONTEXT * smallest);
  const over = counts.find((c) => c.tokens > limit);
  if (over != null) {
    const what = choices != null && choices.length > 0 ? `${names.question} with its ${names.choices}` : names.question;
    throw new EpisodeRequestError(
      `${what}: ${over.tokens.toLocaleString("en-US")} tokens for the ${over.role}, but a question may take at most ` +
        `${limit.toLocaleString("en-US")} (a quarter of the smallest model context, ${smallest.toLocaleString("en-US")} tokens; the rest ` +
        "holds the roles, the candidates, the paragraphs and the replies): shorten it",
    );
  }
}
