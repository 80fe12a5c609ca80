// Folding a route's events into what the panel shows. The extension keeps each route's view with this (to show an
// earlier answer again) and the panel applies the same events live, so both always agree.
import type { RouteEvent, RouteView } from "./protocol.ts";

/** The view of a route that has just been sent. */
export function newRouteView(init: Pick<RouteView, "routeId" | "question" | "alpha" | "source" | "candidates">): RouteView {
  return { ...init, status: "running", adapters: [], live: [], turns: [], assignment: undefined, result: undefined, error: undefined };
}

/** Applies one event in place and returns the view. */
export function applyRouteEvent(view: RouteView, event: RouteEvent): RouteView {
  switch (event.type) {
    case "assignment":
      view.assignment = event.assignment;
      break;
    case "adapter":
      view.adapters.push(event.adapter);
      break;
    case "text": {
      const last = view.live.at(-1);
      if (last != null && last.role === event.role) last.text += event.text;
      else view.live.push({ role: event.role, text: event.text });
      break;
    }
    case "turn":
      view.turns.push(event.turn);
      break;
    case "done":
      view.result = event.result;
      view.status = event.result.stoppedBecause === "aborted" ? "stopped" : "done";
      break;
    case "error":
      view.error = event.message;
      view.status = "error";
      break;
  }
  return view;
}

/** Human-readable names of an episode's end. */
export const STOP_REASONS: Record<string, string> = {
  finished: "the Student finished with this answer",
  formatFallback: "the Student's replies could not be read; the fallback answer stands",
  submitted: "the Teacher accepted the answer",
  roundLimit: "the round limit was reached; the last answer counts",
  aborted: "stopped by you",
};

/** The display name of a candidate id in this view. */
export function candidateName(view: Pick<RouteView, "candidates">, id: string): string {
  return view.candidates.find((c) => c.id === id)?.name ?? id;
}

/** Total tokens in and out over every model. */
export function totalTokens(tokens: Record<string, { input: number; output: number }>): { input: number; output: number } {
  let input = 0;
  let output = 0;
  for (const t of Object.values(tokens)) {
    input += t.input;
    output += t.output;
  }
  return { input, output };
}

/** A cost in the configuration's currency, readable at the tiny sizes a single query costs. */
export function formatCost(total: number): string {
  if (total === 0) return "0";
  return total >= 0.01 ? total.toFixed(4) : total.toExponential(2);
}

/** A norm or singular value: fixed digits in the usual range, exponent otherwise. */
export function formatNumber(x: number): string {
  return Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(4) : x.toExponential(2);
}

export function formatPercent(p: number): string {
  return `${(100 * p).toFixed(1)}%`;
}
