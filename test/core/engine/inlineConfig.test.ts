// The engine's `route` with an inline configuration (what the extension sends when the settings describe the
// models): validated like a file, used for the route, refused with the fields named, exclusive with configPath.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, test } from "node:test";
import { defaultAgents } from "../../../src/core/config/HapsConfig.ts";
import { createEngineHandlers } from "../../../src/core/engine/handlers.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { tempDir } from "../runtime/helpers.ts";

const cacheDir = tempDir("inline-config");
const engine = createEngineHandlers({ threads: 1, gpu: false, cacheDir });
after(async () => {
  await engine.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const ctx = { signal: new AbortController().signal, emit: () => {} };

test("route uses an inline configuration: its candidates, prices and generator rank", async () => {
  const models = await ensureDefaultModels(cacheDir);
  const config = {
    router: { model: models.router.path },
    agents: defaultAgents,
    candidates: [
      { id: "only-small", model: models.candidates[0].path, price: { input: 5, output: 7 } },
      { id: "closed-wide", model: models.candidates[1].path, open: false },
    ],
    generator: { rank: 2 },
    protocol: { maxRounds: 1 },
    maxTokens: 48,
  };
  const report = await engine.route({ question: "2 + 2 = ?", choices: ["3", "4"], config }, ctx);
  assert.deepEqual(report.cost.pricesPerMillion, { "only-small": { input: 5, output: 7 }, "closed-wide": { input: 0, output: 0 } });
  for (const a of report.adapters) {
    assert.equal(a.candidate, "only-small", "a closed candidate gets no adapter");
    assert.deepEqual(a.layers.map((l) => l.rank), [2]);
  }
  for (const [agent, candidate] of Object.entries(report.assignment.choice)) {
    assert.equal(report.adapters.some((a) => a.agent === agent), candidate === "only-small");
  }
});

test("an invalid inline configuration is refused with every wrong field named", async () => {
  await assert.rejects(
    engine.route({ question: "?", config: { router: { model: "" }, agents: defaultAgents, candidates: [{ id: "bad id", model: "m.gguf", price: { input: -1 } }] } }, ctx),
    (error: Error) => {
      assert.equal(error.name, "ConfigError");
      assert.match(error.message, /^inline configuration: invalid configuration/);
      for (const field of ["router.model", "candidates.0.id", "candidates.0.price.input"]) assert.match(error.message, new RegExp(field.replace(/\./g, "\\.")));
      return true;
    },
  );
});

test("configPath and config together are refused", async () => {
  await assert.rejects(engine.route({ question: "?", configPath: "a.json", config: {} }, ctx), /give configPath or config, not both/);
});
