// The high-level router's input: a prompt in four parts - the agents' roles, the task, the candidates, the problem.
//
// The parts that do not change between queries come first and the problem last, so that the router LLM evaluates
// the fixed prefix once and keeps it in its KV cache: each query pays only for its own tokens, for the backbone
// feature and for the zero-shot decision alike (LlamaRuntime.routingFeature / routingChoices). The paper lists the
// parts as roles, task, problem, candidates; the order is ours, the content theirs.
import type { AgentConfig, CandidateConfig } from "../config/HapsConfig.ts";

export interface RoutingProblem {
  /** The specific problem: the question, and the choices for multiple choice. */
  question: string;
  choices?: string[];
}

/** A routing prompt as the router LLM reads it: `prefix + problem`. */
export interface RoutingPrompt {
  /** Roles, task, candidates and the answer format: the same for every query of a configuration and task. */
  prefix: string;
  /** The query's own part: the problem. */
  problem: string;
}

export function buildRoutingPrompt(
  agents: AgentConfig[],
  taskDescription: string,
  problem: RoutingProblem,
  candidates: CandidateConfig[],
): RoutingPrompt {
  const choices = problem.choices?.map((c, i) => `${String.fromCharCode(65 + i)}. ${c}`).join("\n");
  const prefix = [
    "## Agents",
    ...agents.map((a) => `- ${a.id}: ${a.role}`),
    "## Task",
    taskDescription,
    "## Candidate models",
    ...candidates.map((c) => `- ${c.id}: ${c.description ?? c.id}`),
    `Choose one candidate for each agent. Answer with JSON: {${agents.map((a) => `"${a.id}": <candidate id>`).join(", ")}}`,
    "## Problem",
    "",
  ].join("\n");
  return { prefix, problem: problem.question + (choices ? `\n${choices}` : "") };
}

/** The whole prompt as one text (what reports show). */
export function routingPromptText(prompt: RoutingPrompt): string {
  return prompt.prefix + prompt.problem;
}
