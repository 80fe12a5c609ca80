import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadHapsConfig, parseHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { tempDir } from "../runtime/helpers.ts";

const minimal = {
  router: { model: "router.gguf" },
  agents: [{ id: "student", role: "acts" }, { id: "teacher", role: "reviews" }],
  candidates: [{ id: "a", model: "models/a.gguf" }, { id: "b", model: "/abs/b.gguf", open: false, price: { input: 1, output: 2 } }],
};

test("defaults are filled in and model paths resolve against the configuration's folder", () => {
  const config = parseHapsConfig(minimal, "c.json", "/cfg");
  assert.equal(config.router.model, "/cfg/router.gguf");
  assert.equal(config.router.pooling, "mean");
  assert.equal(config.router.mode, "zero-shot");
  assert.equal(config.candidates[0].model, "/cfg/models/a.gguf");
  assert.equal(config.candidates[1].model, "/abs/b.gguf");
  assert.equal(config.candidates[0].open, true);
  assert.deepEqual(config.candidates[0].price, { input: 0, output: 0 });
  assert.deepEqual(config.generator, { rank: 8, lastLayers: 1, scale: 1, hidden: 256, shareTrunk: true, seed: 0 });
  assert.equal(config.alpha, 0);
  assert.deepEqual(config.protocol, { constrainActions: true, searchBudget: 3, maxRounds: 3, formatRetries: 1 });
});

test("every invalid field is named, with the source", () => {
  const bad = { ...minimal, alpha: -1, candidates: [{ id: "a b", model: "" }], extra: 1 };
  assert.throws(() => parseHapsConfig(bad, "c.json", "/"), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^c\.json: invalid configuration/);
    assert.match(e.message, /alpha/);
    assert.match(e.message, /candidates\.0\.id/);
    assert.match(e.message, /candidates\.0\.model/);
    assert.match(e.message, /extra/);
    return true;
  });
  const dup = { ...minimal, candidates: [minimal.candidates[0], minimal.candidates[0]] };
  assert.throws(() => parseHapsConfig(dup, "c.json", "/"), /candidates\[1\]\.id: duplicate id "a"/);
});

test("a JSON syntax error names the file, line and column", async () => {
  const file = path.join(tempDir("config"), "broken.json");
  writeFileSync(file, '{\n  "router": {\n    "model": "x.gguf",,\n  }\n}\n');
  await assert.rejects(loadHapsConfig(file), /broken\.json:3:\d+: invalid JSON/);
});
