// One routed query from the extension: the settings at this moment (models, alpha), the engine's `route` method,
// its streamed events folded into the route history. The command, the sidebar chat and the @haps participant all
// route through here.
import type { Paragraph } from "../../core/data/TaskItem.ts";
import type { EpisodeEvent, EpisodeReport } from "../../core/episode/types.ts";
import type { RouteEvent } from "../../../webview/route/protocol.ts";
import type { ModelDownloads } from "../downloads/ModelDownloads.ts";
import type { EngineHost } from "../EngineHost.ts";
import { describeError } from "../errors/describeError.ts";
import { readCostPreference, readRouteSource } from "../settings/routeSource.ts";
import type { RouteHistory } from "./RouteHistory.ts";
import { toRouteEvent } from "./toRouteEvent.ts";

export interface RouteQuery {
  question: string;
  /** Paragraphs the agents may search (search QA). Defaults to none. */
  context?: Paragraph[];
  /** Answer options; their presence selects multiple choice. */
  choices?: string[];
}

export interface RouteHooks {
  /** Aborting cancels the generation in the engine; the route then ends as "stopped" with what it had. */
  signal?: AbortSignal;
  /** The route exists (its id is known) and is about to be sent. */
  onStart?: (routeId: string) => void;
  onEvent?: (routeId: string, event: RouteEvent) => void;
}

export class RouteRunner {
  /** The last query sent (question and paragraphs as the engine got them), for the extension tests. */
  lastQuery: RouteQuery | null = null;

  constructor(
    private readonly engine: EngineHost,
    private readonly history: RouteHistory,
    /** Fetches URI model settings before a route needs them. Defaults to none (a missing download is an error). */
    private readonly downloads?: ModelDownloads,
  ) {}

  /** Rejects with the engine's (or the settings') error after recording it on the route. */
  async run(query: RouteQuery, hooks: RouteHooks = {}): Promise<{ routeId: string; report: EpisodeReport }> {
    const source = await readRouteSource();
    const alpha = readCostPreference();
    const view = this.history.start({
      question: query.question,
      alpha,
      source: source.label,
      candidates: Object.entries(source.names).map(([id, name]) => ({ id, name, open: source.open[id] })),
    });
    const routeId = view.routeId;
    this.lastQuery = query;
    hooks.onStart?.(routeId);
    const emit = (event: RouteEvent) => {
      this.history.apply(routeId, event);
      hooks.onEvent?.(routeId, event);
    };
    try {
      await this.downloads?.ensureForRoute(source.params, source.workspaceOrigin);
      const report = await this.engine.request(
        "route",
        { ...query, alpha, ...source.params },
        {
          signal: hooks.signal,
          onEvent: (name, data) => {
            if (name === "episode") emit(toRouteEvent(data as EpisodeEvent));
          },
        },
      );
      return { routeId, report };
    } catch (error) {
      emit({ type: "error", message: describeError(error).message });
      throw error;
    }
  }
}
