// Models described in the settings (haps.models.*, haps.lora.*, haps.search.*): the extension builds the
// configuration, the engine validates it, and the next route uses it. Missing files and invalid values end in
// messages that name the setting and offer the fix.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";
import { describeError } from "../../../src/extension/errors/describeError.ts";
import { candidateIds, settingsConfig } from "../../../src/extension/settings/settingsConfig.ts";
import { conversationContext } from "../../../src/extension/chat/conversationContext.ts";
import { hapsApi, PARIS_CONTEXT, waitFor, withSettings } from "./helpers.ts";

/** The embedded models' files, as the engine generated them for this profile. */
async function embeddedModels(): Promise<{ router: string; small: string; wide: string }> {
  const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
  const path = (prefix: string) => {
    const m = info.models.find((x) => x.id.startsWith(prefix) && x.pooling == null);
    assert.ok(m, `${prefix} is loaded`);
    return m.path;
  };
  return { router: path("haps-router-"), small: path("haps-small-"), wide: path("haps-wide-") };
}

describe("Models from the settings", () => {
  it("maps the settings to a configuration: ids from display names, prices, open flags, LoRA and search", () => {
    const { config, names } = settingsConfig({
      candidates: [
        { model: "/m/a.gguf", name: "Qwen 1.5B (q4)", priceInput: 0.1, priceOutput: 0.2 },
        { model: "/m/b.gguf", open: false },
        { model: "/m/c.gguf", name: "Qwen 1.5B (q4)" },
      ],
      router: "/m/r.gguf",
      embedding: "",
      lora: { rank: 4, depth: 2, scale: 0.5 },
      search: { budget: 2, maxRounds: 1 },
    });
    assert.deepEqual(Object.keys(names), ["Qwen-1.5B-q4", "b", "Qwen-1.5B-q4-2"]);
    assert.equal(names["b"], "b");
    const c = config as { candidates: { id: string; open: boolean; price: object }[]; generator: object; protocol: object; embeddingModel?: string };
    assert.deepEqual(c.candidates.map((x) => [x.id, x.open, x.price]), [
      ["Qwen-1.5B-q4", true, { input: 0.1, output: 0.2 }],
      ["b", false, { input: 0, output: 0 }],
      ["Qwen-1.5B-q4-2", true, { input: 0, output: 0 }],
    ]);
    assert.deepEqual(c.generator, { rank: 4, lastLayers: 2, scale: 0.5 });
    assert.deepEqual(c.protocol, { searchBudget: 2, maxRounds: 1 });
    assert.equal(c.embeddingModel, undefined);
    assert.deepEqual(candidateIds([{ model: "x/<bad>.gguf", name: "***" }]), ["model-1"]);
  });

  it("gives earlier exchanges of a conversation to the agents as paragraphs", () => {
    const paragraphs = conversationContext([
      { question: "Q1", answer: "A1" },
      { question: "Q2", answer: "" },
      { question: "Q3", answer: "A3" },
    ]);
    assert.deepEqual(paragraphs, [
      { title: "Earlier question 2", sentences: ["Q1", " Answer: A1"] },
      { title: "Earlier question 3", sentences: ["Q3", " Answer: A3"] },
    ]);
  });

  it("routes over the candidates the settings list, with their names, LoRA rank and closed models", async () => {
    const api = await hapsApi();
    const models = await embeddedModels();
    await withSettings(
      {
        "models.router": models.router,
        "models.candidates": [
          { model: models.small, name: "Small <b>one</b>", priceInput: 1, priceOutput: 2 },
          { model: models.wide, name: "Wide", priceInput: 3, priceOutput: 4, open: false },
        ],
        "lora.rank": 2,
        "search.budget": 1,
      },
      async () => {
        const { routeId, report } = await api.route({ question: "Which river flows through Paris?", context: PARIS_CONTEXT });
        assert.deepEqual(Object.keys(report.cost.pricesPerMillion).sort(), ["Small-b-one-b", "Wide"]);
        assert.deepEqual(report.cost.pricesPerMillion["Wide"], { input: 3, output: 4 });
        for (const a of report.adapters) {
          assert.equal(a.candidate, "Small-b-one-b", "only the open model gets adapters");
          for (const l of a.layers) assert.equal(l.rank, 2);
        }
        const searches = report.transcript.filter((t) => t.role === "student" && t.action.type === "search" && t.observation != null);
        assert.ok(searches.length <= 1, `search budget 1, ${searches.length} searches carried out`);

        await vscode.commands.executeCommand("haps.openRoutePanel", routeId);
        const snapshot = await waitFor(api.routePanel.onDidRender, api.routePanel.lastSnapshot, (s) => s.routeId === routeId, "the settings route");
        const shownModels = snapshot.agents.map((a) => a.model);
        for (const [agent, id] of Object.entries(report.assignment.choice)) {
          assert.equal(shownModels[snapshot.agents.findIndex((a) => a.agent === agent)], id === "Wide" ? "Wide" : "Small <b>one</b>");
        }
        assert.equal(snapshot.unsafeElements, 0);
      },
    );
  });

  it("haps.configFile decides the models, and a missing file says so", async () => {
    const api = await hapsApi();
    const models = await embeddedModels();
    const dir = mkdtempSync(join(tmpdir(), "haps-config-file-"));
    try {
      const file = join(dir, "models.json");
      writeFileSync(
        file,
        JSON.stringify({
          router: { model: models.router },
          agents: [
            { id: "teacher", role: "Teacher: reviews." },
            { id: "student", role: "Student: answers." },
          ],
          candidates: [{ id: "from-file", model: models.small, price: { input: 9, output: 9 } }],
          protocol: { maxRounds: 1 },
        }),
      );
      // The candidate list in the settings is ignored while a configuration file is set.
      await withSettings({ configFile: file, "models.candidates": [{ model: "/nonexistent.gguf" }] }, async () => {
        const { report } = await api.route({ question: "2 + 2 = ?", choices: ["3", "4"] });
        assert.deepEqual(Object.keys(report.cost.pricesPerMillion), ["from-file"]);
        assert.deepEqual(Object.values(report.assignment.choice), ["from-file", "from-file"]);
      });
      await withSettings({ configFile: join(dir, "missing.json") }, async () => {
        await assert.rejects(api.route({ question: "?" }), (error: unknown) => {
          assert.match(describeError(error).message, /^Configuration file not found: .*missing\.json \(haps\.configFile\)/);
          return true;
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing model file ends in "Model file not found: <path>" that offers Select Models', async () => {
    const api = await hapsApi();
    const models = await embeddedModels();
    const missing = "/nonexistent/haps/missing-model.gguf";
    await withSettings({ "models.router": models.router, "models.candidates": [{ model: missing, name: "Gone" }] }, async () => {
      await assert.rejects(api.route({ question: "Anything?" }), (error: unknown) => {
        const { message, actions } = describeError(error);
        assert.match(message, new RegExp(`^Model file not found: ${missing} \\(haps\\.models\\.candidates\\[0\\]\\.model\\)`));
        assert.ok(actions.some((a) => a.command === "haps.selectModels"));
        return true;
      });
    });
  });

  it("an invalid value is refused by the engine's validation, naming the field", async () => {
    const api = await hapsApi();
    const models = await embeddedModels();
    await withSettings({ "models.router": models.router, "models.candidates": [{ model: models.small, priceInput: -1 }] }, async () => {
      await assert.rejects(api.route({ question: "Anything?" }), (error: unknown) => {
        const { message, actions } = describeError(error);
        assert.match(message, /^The HAPS settings \(haps\.models\.\*, haps\.lora\.\*, haps\.search\.\*\): invalid configuration/);
        assert.match(message, /candidates\.0\.price\.input/);
        assert.ok(actions.some((a) => a.command === "haps.openSettings"));
        return true;
      });
    });
  });
});
