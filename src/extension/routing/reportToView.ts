// A finished route report (EpisodeReport: the engine's result, or `haps route --json` output) as a route view, so
// the panel can show a route that did not stream through this session.
import type { EpisodeReport } from "../../core/episode/types.ts";
import { routeViewSchema, type RouteView } from "../../../webview/route/protocol.ts";
import { applyRouteEvent, newRouteView } from "../../../webview/route/routeModel.ts";
import { toResultView, toRouteEvent, toTurnView } from "./toRouteEvent.ts";

/** Throws an error naming the first wrong fields when `report` is not a route report. */
export function reportToView(report: EpisodeReport, routeId: string, question: string, source: string): RouteView {
  let view: RouteView;
  try {
    view = newRouteView({ routeId, question, alpha: report.alpha, source, candidates: [] });
    applyRouteEvent(view, toRouteEvent({ type: "assignment", assignment: report.assignment }));
    for (const adapter of report.adapters) applyRouteEvent(view, toRouteEvent({ type: "adapter", adapter }));
    for (const turn of report.transcript) applyRouteEvent(view, { type: "turn", turn: toTurnView(turn) });
    applyRouteEvent(view, { type: "done", result: toResultView(report) });
  } catch (error) {
    throw new Error(`not a HAPS route report: ${(error as Error).message}`);
  }
  const parsed = routeViewSchema.safeParse(view);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join(".")}: ${i.message}`);
    throw new Error(`not a HAPS route report: ${problems.join("; ")}`);
  }
  return parsed.data;
}
