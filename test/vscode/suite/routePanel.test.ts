// HAPS: Route Query on the embedded models, and the route panel that shows it: what the panel reports back from its
// own DOM must match the engine's report (the chosen models, the adapter statistics, the dialogue turns).
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { EpisodeReport } from "../../../src/core/episode/types.ts";
import type { RouteSnapshot } from "../../../webview/route/protocol.ts";
import { formatNumber, formatPercent } from "../../../webview/route/routeModel.ts";
import { hapsApi, PARIS_CONTEXT, waitFor, withSettings } from "./helpers.ts";

async function routeAndRender(args: { question: string; context?: unknown[] }): Promise<{ report: EpisodeReport; snapshot: RouteSnapshot }> {
  const api = await hapsApi();
  const report = await vscode.commands.executeCommand<EpisodeReport | undefined>("haps.routeQuery", args);
  assert.ok(report, "the route returned a report (an error would have been shown instead)");
  const routeId = api.routePanel.shownRouteId();
  assert.ok(routeId, "the route panel opened on the route");
  const snapshot = await waitFor(
    api.routePanel.onDidRender,
    api.routePanel.lastSnapshot,
    (s) => s.routeId === routeId && s.status !== "running",
    "the route panel to render the finished route",
  );
  return { report, snapshot };
}

describe("Route Query and the route panel", () => {
  it("routes a query on the embedded models, opens the panel and shows the chosen models, adapter statistics and dialogue", async () => {
    const question = "Which river flows through the city where the Eiffel Tower stands?";
    const { report, snapshot } = await routeAndRender({ question, context: PARIS_CONTEXT });

    assert.equal(snapshot.status, "done");
    assert.equal(snapshot.question, question);
    // The architecture choice per agent with the router's probability of it.
    assert.deepEqual(
      snapshot.agents.map((a) => [a.agent, a.model, a.probability]).sort(),
      Object.entries(report.assignment.choice)
        .map(([agent, c]) => [agent, c, formatPercent(report.assignment.probabilities[agent][c])])
        .sort(),
    );
    assert.equal(snapshot.alpha, `α = ${report.alpha.toFixed(2)}`);

    // Adapter statistics per agent and layer: the embedded candidates are open, so each agent has one.
    const expectedLayers = report.adapters.flatMap((a) =>
      a.layers.map((l) => ({
        agent: a.agent,
        layer: `blk.${l.layer}`,
        rank: String(l.rank),
        normUpdate: formatNumber(l.normUpdate),
        singularValues: l.topSingularValues.map(formatNumber).join(", "),
      })),
    );
    assert.ok(expectedLayers.length >= 2, "both agents got an adapter");
    assert.deepEqual(snapshot.adapterLayers, expectedLayers);
    for (const l of report.adapters.flatMap((a) => a.layers)) {
      assert.equal(l.topSingularValues.length, Math.min(l.rank, 8), "the engine reports the top singular values");
      const sumSquares = l.topSingularValues.reduce((s, x) => s + x * x, 0);
      assert.ok(Math.abs(Math.sqrt(sumSquares) - l.normUpdate) <= 1e-6 * Math.max(1e-12, l.normUpdate), "their squares sum to the update's norm");
    }
    assert.equal(snapshot.chartBars, report.adapters.flatMap((a) => a.layers).reduce((s, l) => s + l.topSingularValues.length, 0));

    // The dialogue: one timeline entry per turn, in order, each with its agent and action.
    assert.equal(snapshot.turns.length, report.transcript.length);
    assert.ok(report.transcript.length >= 2, "Student and Teacher both spoke");
    snapshot.turns.forEach((t, i) => {
      assert.equal(t.role, report.transcript[i].role);
      assert.ok(t.action.length > 0, `turn ${i} names its action`);
      const query = report.transcript[i].action.type === "search" ? (report.transcript[i].action as { query: string }).query : null;
      if (query) assert.ok(t.text.includes(query.trim()), `turn ${i} shows its search query`);
    });
    assert.equal(snapshot.liveStretches, 0, "the live text gave way to the turns");
    assert.equal(snapshot.answer, report.answer.trim() || "(empty answer)");
    const tokens = Object.values(report.tokens).reduce((s, t) => s + t.input + t.output, 0);
    assert.equal(snapshot.tokens, `${tokens} tokens`);
    assert.match(snapshot.cost, /^cost \d/);
    assert.equal(snapshot.unsafeElements, 0);
  });

  it("changing haps.costPreference changes the next routing decision's alpha, without a restart", async () => {
    const api = await hapsApi();
    for (const alpha of [0.7, 0.25]) {
      await withSettings({ costPreference: alpha }, async () => {
        assert.match(api.statusBarText(), new RegExp(`α ${alpha.toFixed(2)}`));
        const { report, snapshot } = await routeAndRender({ question: "2 + 2 = ?" });
        assert.equal(report.alpha, alpha);
        assert.equal(snapshot.alpha, `α = ${alpha.toFixed(2)}`);
      });
    }
  });

  it("Set Cost Preference writes the setting that the next route uses", async () => {
    try {
      await vscode.commands.executeCommand("haps.setCostPreference", 0.4);
      assert.equal(vscode.workspace.getConfiguration("haps").get("costPreference"), 0.4);
      const { report } = await routeAndRender({ question: "Name a river." });
      assert.equal(report.alpha, 0.4);
    } finally {
      await vscode.workspace.getConfiguration("haps").update("costPreference", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("shows model text containing <script> and <img onerror> as text, never as markup", async () => {
    const api = await hapsApi();
    const payload = `<script>document.title="pwned"</script><img src=x onerror="document.title='pwned'"> **bold?**`;
    // A real report whose model-written fields are replaced by hostile text: the path from the extension to the
    // panel's DOM is the one every report takes.
    const { report } = await routeAndRender({ question: "What does the note say?", context: PARIS_CONTEXT });
    const hostile: EpisodeReport = {
      ...report,
      answer: payload,
      transcript: report.transcript.map((t, i) => (i === 0 ? { ...t, reasoning: payload, observation: payload } : t)),
    };
    const routeId = await vscode.commands.executeCommand<string>("haps.openRoutePanel", { report: hostile, question: payload });
    const snapshot = await waitFor(api.routePanel.onDidRender, api.routePanel.lastSnapshot, (s) => s.routeId === routeId, "the hostile report");
    assert.equal(snapshot.answer, payload.trim());
    assert.equal(snapshot.question, payload);
    assert.ok(snapshot.turns[0].text.includes(payload), "the reasoning and the paragraph are shown verbatim");
    assert.equal(snapshot.unsafeElements, 0, "no <script>, <img> or other markup came out of the text");
  });

  it("refuses a malformed report with an error instead of showing it", async () => {
    const before = (await hapsApi()).routePanel.shownRouteId();
    const shown = await vscode.commands.executeCommand<string | undefined>("haps.openRoutePanel", { report: { answer: 3 } });
    assert.equal(shown, undefined);
    assert.equal((await hapsApi()).routePanel.shownRouteId(), before);
  });
});
