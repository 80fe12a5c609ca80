// The high-level router's input: a prompt in four parts - the agents' roles, the task, the problem, the candidates.
import type { AgentConfig, CandidateConfig } from "../config/HapsConfig.ts";

export interface RoutingProblem {
  /** The specific problem: the question, and the choices for multiple choice. */
  question: string;
  choices?: string[];
}

export function buildRoutingPrompt(
  agents: AgentConfig[],
  taskDescription: string,
  problem: RoutingProblem,
  candidates: CandidateConfig[],
): string {
  const choices = problem.choices?.map((c, i) => `${String.fromCharCode(65 + i)}. ${c}`).join("\n");
  return [
    "## Agents",
    ...agents.map((a) => `- ${a.id}: ${a.role}`),
    "## Task",
    taskDescription,
    "## Problem",
    problem.question + (choices ? `\n${choices}` : ""),
    "## Candidate models",
    ...candidates.map((c) => `- ${c.id}: ${c.description ?? c.id}`),
    `Choose one candidate for each agent. Answer with JSON: {${agents.map((a) => `"${a.id}": <candidate id>`).join(", ")}}`,
  ].join("\n");
}
