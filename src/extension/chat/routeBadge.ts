// The compact badge under a chat answer: which model served each agent, with or without an adapter, tokens, cost.
import type { EpisodeReport } from "../../core/episode/types.ts";
import type { RouteBadge } from "../../../webview/chat/protocol.ts";
import { formatCost, totalTokens } from "../../../webview/route/routeModel.ts";

export function routeBadge(report: EpisodeReport, names: (id: string) => string): RouteBadge {
  const agents = ["student", "teacher"]
    .filter((agent) => report.assignment.choice[agent] != null)
    .map((agent) => ({
      agent,
      model: names(report.assignment.choice[agent]),
      adapter: report.adapters.some((a) => a.agent === agent),
    }));
  return { agents, tokens: totalTokens(report.tokens), cost: formatCost(report.cost.total) };
}
