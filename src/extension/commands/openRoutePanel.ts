// "HAPS: Open Route Panel": the latest route; or, from a chat badge or a @haps answer, the route with that id; or,
// for other extensions and saved results, a finished report (`haps route --json` output) with its question.
import * as vscode from "vscode";
import type { EpisodeReport } from "../../core/episode/types.ts";
import type { RouteHistory } from "../routing/RouteHistory.ts";
import { reportToView } from "../routing/reportToView.ts";
import type { RoutePanel } from "../webviews/RoutePanel.ts";
import { showError } from "../errors/showError.ts";

export type OpenRoutePanelArg = string | { report: EpisodeReport; question?: string; source?: string };

/** Resolves with the id of the route shown (undefined when there is none yet). */
export function openRoutePanel(panel: RoutePanel, history: RouteHistory, output: vscode.LogOutputChannel, arg?: OpenRoutePanelArg): string | undefined {
  if (arg != null && typeof arg === "object" && "report" in arg) {
    try {
      const report = arg.report;
      const view = history.add((routeId) => reportToView(report, routeId, arg.question ?? report.id ?? "(a saved route report)", arg.source ?? "a saved report"));
      panel.show(view.routeId);
    } catch (error) {
      showError(error, output, "Open Route Panel");
      return undefined;
    }
  } else {
    panel.show(typeof arg === "string" ? arg : undefined);
  }
  return panel.shownRouteId ?? undefined;
}
