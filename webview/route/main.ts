// The route panel: one routed episode - the router's choice per agent with its probabilities and the alpha used, the
// generated adapters' statistics with a chart, the agents' dialogue as a live timeline, and the answer, tokens and
// cost. Every piece of model text is a text node (dom.ts); the panel reads back what it shows for the tests.
import "../shared/base.css";
import "./route.css";
import { badge, progressRing, registerComponents, tag } from "../shared/components.ts";
import { countUnsafeElements, h, icon, textOf } from "../shared/dom.ts";
import { throttle, onExtensionMessage, vscodeApi } from "../shared/vscodeApi.ts";
import { singularValueChart } from "./chart.ts";
import { parseToRoutePanel, type FromRoutePanel, type RouteEvent, type RouteSnapshot, type RouteView, type TurnView } from "./protocol.ts";
import {
  applyRouteEvent,
  candidateName,
  formatCost,
  formatNumber,
  formatPercent,
  STOP_REASONS,
  totalTokens,
} from "./routeModel.ts";

registerComponents();

const post = (message: FromRoutePanel) => vscodeApi().postMessage(message);
const app = document.getElementById("app")!;

const sections = {
  header: h("header", { class: "header" }),
  routing: h("section", { class: "section", "aria-labelledby": "routing-title", "data-section": "routing" }),
  adapters: h("section", { class: "section", "aria-labelledby": "adapters-title", "data-section": "adapters" }),
  dialogue: h("section", { class: "section", "aria-labelledby": "dialogue-title", "data-section": "dialogue" }),
  result: h("section", { class: "section", "aria-labelledby": "result-title", "data-section": "result" }),
};
app.append(sections.header, sections.routing, sections.adapters, sections.dialogue, sections.result);

let view: RouteView | null = null;

const agentLabel = (agent: string) => agent.charAt(0).toUpperCase() + agent.slice(1);

function renderAll(): void {
  renderHeader();
  renderRouting();
  renderAdapters();
  renderDialogue();
  renderResult();
}

function renderHeader(): void {
  const el = sections.header;
  el.replaceChildren();
  if (view == null) {
    el.append(h("h1", {}, "HAPS route"), h("p", { class: "muted" }, "Run “HAPS: Route Query” or ask in the HAPS chat; the route of the answer shows here."));
    return;
  }
  const status =
    view.status === "running" ? h("span", { class: "status running" }, progressRing("Routing"), "Routing…")
    : view.status === "done" ? h("span", { class: "status done" }, icon("pass"), `Done in ${((view.result?.timings.totalMs ?? 0) / 1000).toFixed(2)} s`)
    : view.status === "stopped" ? h("span", { class: "status stopped" }, icon("debug-stop"), "Stopped")
    : h("span", { class: "status error" }, icon("error"), "Failed");
  el.append(
    h("h1", {}, "HAPS route"),
    h("p", { class: "question", "data-field": "question" }, view.question),
    h("p", { class: "meta" }, status, h("span", { class: "muted" }, ` · models: ${view.source}`)),
  );
  if (view.error) el.append(h("p", { class: "error-text", role: "alert" }, view.error));
}

function renderRouting(): void {
  const el = sections.routing;
  el.replaceChildren(h("h2", { id: "routing-title" }, icon("git-merge"), " Routing"));
  if (view == null) return;
  const v = view;
  const alpha = v.result?.alpha ?? v.alpha;
  el.append(
    h(
      "p",
      {},
      "Cost preference ",
      h("strong", { "data-field": "alpha" }, `α = ${alpha.toFixed(2)}`),
      v.assignment ? h("span", { class: "spaced" }, tag(v.assignment.mode)) : null,
    ),
  );
  if (v.assignment == null) {
    el.append(h("p", { class: "muted" }, v.status === "running" ? "The router is reading the routing prompt…" : "No routing decision."));
    return;
  }
  const rows = Object.entries(v.assignment.choice).map(([agent, chosen]) => {
    const probabilities = v.assignment!.probabilities[agent] ?? {};
    const adapter = v.adapters.find((a) => a.agent === agent);
    const candidate = v.candidates.find((c) => c.id === chosen);
    const dist = h(
      "ul",
      { class: "distribution", "aria-label": `${agentLabel(agent)}: router probabilities` },
      Object.entries(probabilities).map(([id, p]) => {
        const fill = h("span", { class: `bar-fill${id === chosen ? " chosen" : ""}` });
        fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
        return h("li", {}, h("span", { class: "bar-name" }, candidateName(v, id)), h("span", { class: "bar", "aria-hidden": "true" }, fill), h("span", { class: "bar-value" }, formatPercent(p)));
      }),
    );
    const lora =
      adapter ? `on (rank ${adapter.layers[0]?.rank ?? "?"}, ${adapter.layers.length} layer${adapter.layers.length === 1 ? "" : "s"})`
      : candidate?.open === false ? "off (closed model)"
      : v.status === "running" ? "…"
      : "off";
    return h(
      "tr",
      { "data-choice": agent },
      h("th", { scope: "row" }, agentLabel(agent)),
      h("td", { "data-field": "model" }, candidateName(v, chosen)),
      h("td", { "data-field": "probability" }, formatPercent(probabilities[chosen] ?? 0)),
      h("td", {}, dist),
      h("td", { "data-field": "lora" }, lora),
    );
  });
  el.append(
    h(
      "table",
      { class: "grid" },
      h("caption", { class: "visually-hidden" }, "The model chosen for each agent"),
      h("thead", {}, h("tr", {}, ["Agent", "Model", "P(chosen)", "Router probabilities", "LoRA"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ),
  );
}

function renderAdapters(): void {
  const el = sections.adapters;
  el.replaceChildren(h("h2", { id: "adapters-title" }, icon("layers"), " Generated adapters"));
  if (view == null) return;
  const v = view;
  if (v.adapters.length === 0) {
    el.append(h("p", { class: "muted" }, v.assignment == null || v.status === "running" ? "None yet." : "None: every chosen model is closed to adapters."));
    return;
  }
  for (const adapter of v.adapters) {
    el.append(
      h(
        "h3",
        {},
        `${agentLabel(adapter.agent)} on ${candidateName(v, adapter.candidate)}`,
        h("span", { class: "muted" }, ` · scale ${adapter.scale} · generated in ${adapter.generateMs.toFixed(2)} ms`),
      ),
      h(
        "table",
        { class: "grid numbers" },
        h("thead", {}, h("tr", {}, ["Layer", "A", "B", "Rank", "‖A‖", "‖B‖", "‖AB‖", "Top singular values of AB"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          adapter.layers.map((l) =>
            h(
              "tr",
              { "data-adapter-layer": String(l.layer), "data-agent": adapter.agent },
              h("th", { scope: "row", "data-field": "layer" }, `blk.${l.layer}`),
              h("td", {}, l.shapeA.join(" × ")),
              h("td", {}, l.shapeB.join(" × ")),
              h("td", { "data-field": "rank" }, String(l.rank)),
              h("td", {}, formatNumber(l.normA)),
              h("td", {}, formatNumber(l.normB)),
              h("td", { "data-field": "normUpdate" }, formatNumber(l.normUpdate)),
              h("td", { "data-field": "singularValues" }, l.topSingularValues.map(formatNumber).join(", ")),
            ),
          ),
        ),
      ),
    );
  }
  const chart = singularValueChart(v.adapters, agentLabel);
  if (chart) el.append(h("figure", { class: "chart-figure" }, chart, h("figcaption", { class: "muted" }, "Top singular values of each adapter layer's update A B (one scale for all bars).")));
}

function renderDialogue(): void {
  const el = sections.dialogue;
  el.replaceChildren(h("h2", { id: "dialogue-title" }, icon("comment-discussion"), " Dialogue"));
  if (view == null) return;
  const list = h("ol", { class: "timeline", "aria-live": "polite" });
  if (view.turns.length > 0) {
    for (const turn of view.turns) list.append(turnItem(turn));
  } else {
    for (const stretch of view.live) list.append(liveItem(stretch.role, stretch.text));
  }
  if (list.childElementCount === 0) el.append(h("p", { class: "muted" }, view.status === "running" ? "Waiting for the first agent…" : "No turns."));
  else el.append(list);
}

function liveItem(role: string, text: string): HTMLElement {
  return h(
    "li",
    { class: `turn live role-${role}`, "data-live": role },
    h("div", { class: "turn-head" }, h("span", { class: "role" }, agentLabel(role)), h("span", { class: "muted" }, "writing…")),
    h("pre", { class: "live-text" }, text),
  );
}

/** What a turn did, as a short label: "Search", "Finish", "Continue", "Rethink", "Choice B", "Submit". */
function actionLabel(turn: TurnView): string {
  const a = turn.action;
  switch (a.type) {
    case "search":
      return "Search";
    case "finish":
      return "Finish";
    case "review":
      return a.verdict === "continue" ? "Continue" : "Rethink";
    case "choice":
      return a.letter ? `Choice ${a.letter}` : "No choice";
    case "decision":
      return a.decision === "submit" ? "Submit" : "Revise";
    case "invalid":
      return "Unreadable reply";
  }
}

function turnItem(turn: TurnView): HTMLElement {
  const a = turn.action;
  const detail =
    a.type === "search" ? h("p", {}, h("span", { class: "label" }, "Query: "), a.query)
    : a.type === "finish" ? h("p", {}, h("span", { class: "label" }, "Answer: "), a.answer)
    : a.type === "review" ? (a.advice ? h("p", {}, h("span", { class: "label" }, "Advice: "), a.advice) : null)
    : a.type === "decision" ? (a.feedback ? h("p", {}, h("span", { class: "label" }, "Feedback: "), a.feedback) : null)
    : null;
  const verdictClass = a.type === "review" ? ` verdict-${a.verdict}` : a.type === "decision" ? ` verdict-${a.decision}` : "";
  return h(
    "li",
    { class: `turn role-${turn.role}${verdictClass}`, "data-turn": String(turn.index), "data-role": turn.role },
    h(
      "div",
      { class: "turn-head" },
      h("span", { class: "role" }, agentLabel(turn.role)),
      h("span", { class: "muted" }, `· ${candidateName(view!, turn.modelId)} · step ${turn.step + 1}`),
      h("span", { "data-field": "action" }, tag(actionLabel(turn))),
      turn.retry ? badge(`retry ${turn.retry}`) : null,
    ),
    turn.reasoning ? h("p", { class: "reasoning", "data-field": "reasoning" }, turn.reasoning) : null,
    detail,
    turn.observation != null
      ? h("details", { class: "observation" }, h("summary", {}, "Paragraph returned"), h("p", { "data-field": "observation" }, turn.observation))
      : null,
    turn.formatError ? h("p", { class: "note" }, icon("warning"), ` Format error: ${turn.formatError}`) : null,
    turn.fallback ? h("p", { class: "note" }, icon("info"), ` Fallback: ${turn.fallback}`) : null,
    h("p", { class: "muted small" }, `${turn.promptTokens} tokens in · ${turn.outputTokens} out · ${turn.ms.toFixed(0)} ms`),
  );
}

function renderResult(): void {
  const el = sections.result;
  el.replaceChildren(h("h2", { id: "result-title" }, icon("check"), " Answer"));
  if (view == null) return;
  const r = view.result;
  if (r == null) {
    el.append(h("p", { class: "muted" }, view.status === "running" ? "Not yet." : "No answer."));
    return;
  }
  const total = totalTokens(r.tokens);
  el.append(
    h("blockquote", { class: "answer", "data-field": "answer" }, r.answer || "(empty answer)"),
    h("p", { class: "muted" }, `Ended because ${STOP_REASONS[r.stoppedBecause] ?? r.stoppedBecause}.`),
    h(
      "table",
      { class: "grid numbers" },
      h("thead", {}, h("tr", {}, ["Model", "Tokens in", "Tokens out", "Price in / out per 1M"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        Object.entries(r.tokens).map(([id, t]) => {
          const price = r.prices[id];
          return h("tr", {}, h("th", { scope: "row" }, candidateName(view!, id)), h("td", {}, String(t.input)), h("td", {}, String(t.output)), h("td", {}, price ? `${price.input} / ${price.output}` : "?"));
        }),
        h("tr", { class: "total" }, h("th", { scope: "row" }, "All"), h("td", {}, String(total.input)), h("td", {}, String(total.output)), h("td", {}, "")),
      ),
    ),
    h(
      "p",
      {},
      h("span", { "data-field": "tokens" }, `${total.input + total.output} tokens`),
      " · ",
      h("span", { "data-field": "cost" }, `cost ${formatCost(r.cost.total)}${r.cost.normalised == null ? "" : ` (normalised ${r.cost.normalised.toFixed(3)})`}`),
      " · ",
      h("span", {}, `routing ${r.timings.routingMs.toFixed(0)} ms, total ${(r.timings.totalMs / 1000).toFixed(2)} s`),
    ),
  );
}

/** A text event appends to the last live stretch in place: re-rendering the timeline per token would be wasteful. */
function appendLiveText(event: Extract<RouteEvent, { type: "text" }>): void {
  const list = sections.dialogue.querySelector("ol.timeline");
  const last = list?.lastElementChild as HTMLElement | null | undefined;
  if (list && last?.dataset.live === event.role && view!.turns.length === 0) {
    last.querySelector("pre")!.append(document.createTextNode(event.text));
  } else {
    renderDialogue();
  }
}

function onEvent(event: RouteEvent): void {
  applyRouteEvent(view!, event);
  switch (event.type) {
    case "assignment":
      renderRouting();
      renderAdapters();
      break;
    case "adapter":
      renderRouting();
      renderAdapters();
      break;
    case "text":
      appendLiveText(event);
      break;
    case "turn":
      renderDialogue();
      break;
    case "done":
    case "error":
      renderAll();
      break;
  }
}

function snapshot(): RouteSnapshot {
  return {
    routeId: view?.routeId ?? "",
    status: view?.status ?? "empty",
    question: textOf(app, '[data-field="question"]'),
    alpha: textOf(app, '[data-field="alpha"]'),
    agents: [...app.querySelectorAll<HTMLElement>("tr[data-choice]")].map((row) => ({
      agent: row.dataset.choice!,
      model: textOf(row, '[data-field="model"]'),
      probability: textOf(row, '[data-field="probability"]'),
    })),
    adapterLayers: [...app.querySelectorAll<HTMLElement>("tr[data-adapter-layer]")].map((row) => ({
      agent: row.dataset.agent!,
      layer: textOf(row, '[data-field="layer"]'),
      rank: textOf(row, '[data-field="rank"]'),
      normUpdate: textOf(row, '[data-field="normUpdate"]'),
      singularValues: textOf(row, '[data-field="singularValues"]'),
    })),
    chartBars: app.querySelectorAll("[data-bar]").length,
    turns: [...app.querySelectorAll<HTMLElement>("li[data-turn]")].map((item) => ({
      role: item.dataset.role!,
      action: textOf(item, '[data-field="action"]'),
      text: item.textContent ?? "",
    })),
    liveStretches: app.querySelectorAll("li[data-live]").length,
    answer: textOf(app, '[data-field="answer"]'),
    tokens: textOf(app, '[data-field="tokens"]'),
    cost: textOf(app, '[data-field="cost"]'),
    unsafeElements: countUnsafeElements(app),
  };
}

const reportRendered = throttle(() => post({ type: "rendered", snapshot: snapshot() }), 100);

onExtensionMessage(parseToRoutePanel, (message) => {
  if (message.type === "show") {
    view = message.view;
    renderAll();
  } else if (view != null && message.routeId === view.routeId) {
    onEvent(message.event);
  } else {
    return;
  }
  reportRendered();
});

renderAll();
post({ type: "ready" });
