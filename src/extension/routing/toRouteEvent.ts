// The engine's episode events as the webviews' route events: the same facts, without what no view shows (the
// routing prompt, raw generations) and with the report's figures in display form.
import type { EpisodeEvent, EpisodeReport } from "../../core/episode/types.ts";
import type { Turn } from "../../core/protocols/types.ts";
import type { ResultView, RouteEvent, TurnView } from "../../../webview/route/protocol.ts";

export function toRouteEvent(event: EpisodeEvent): RouteEvent {
  switch (event.type) {
    case "assignment": {
      const { mode, choice, probabilities } = event.assignment;
      return { type: "assignment", assignment: { mode, choice, probabilities } };
    }
    case "adapter": {
      const a = event.adapter;
      return {
        type: "adapter",
        adapter: {
          agent: a.agent,
          candidate: a.candidate,
          scale: a.scale,
          generateMs: a.generateMs,
          layers: a.layers.map((l) => ({
            layer: l.layer,
            rank: l.rank,
            shapeA: l.shapeA,
            shapeB: l.shapeB,
            normA: l.normA,
            normB: l.normB,
            normUpdate: l.normUpdate,
            topSingularValues: l.topSingularValues ?? [],
          })),
        },
      };
    }
    case "text":
      return { type: "text", role: event.role, text: event.text };
    case "turn":
      return { type: "turn", turn: toTurnView(event.turn) };
    case "done":
      return { type: "done", result: toResultView(event.report) };
  }
}

export function toTurnView(t: Turn): TurnView {
  return {
    index: t.index,
    role: t.role,
    modelId: t.modelId,
    step: t.step,
    reasoning: t.reasoning,
    action: t.action,
    observation: t.observation,
    formatError: t.formatError,
    fallback: t.fallback,
    retry: t.retry,
    promptTokens: t.promptTokens,
    outputTokens: t.outputTokens,
    ms: t.ms,
  };
}

export function toResultView(r: EpisodeReport): ResultView {
  return {
    answer: r.answer,
    stoppedBecause: r.stoppedBecause,
    alpha: r.alpha,
    tokens: r.tokens,
    prices: r.cost.pricesPerMillion,
    cost: { total: r.cost.total, normalised: r.cost.normalised },
    timings: r.timings,
  };
}
