// The evaluation spec: documented defaults, the training spec's own pieces reused, every wrong field named (the
// baselines' own option checks included), JSON errors with line and column.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { EVAL_METHODS, loadEvalSpec, parseEvalSpec } from "../../../src/core/evaluation/EvalSpec.ts";
import { tempDir } from "../runtime/helpers.ts";

test("a benchmark spec gets the documented defaults", async () => {
  const spec = await parseEvalSpec({ benchmark: { name: "keyword" } }, "spec.json", "/base");
  assert.deepEqual(spec.benchmark, { name: "keyword", phrasings: 12, train: 6, valid: 2, scale: 4 });
  assert.equal(spec.config, null);
  assert.equal(spec.data, null);
  assert.equal(spec.alpha, null, "the configuration's alpha unless given");
  assert.deepEqual(spec.alphas, [0, 0.5, 0.8]);
  assert.deepEqual(spec.seeds, [0]);
  assert.deepEqual(spec.methods, [...EVAL_METHODS]);
  assert.deepEqual(spec.ablations, { highLevel: true, lowLevel: true, sharing: true, depths: [1, 2, 4] });
  assert.equal(spec.concurrency, 2);
  assert.equal(spec.work, null);
  // The training spec's own sections and defaults.
  assert.equal(spec.sft.target, "tuples");
  assert.equal(spec.rl.epochs, "auto");
  assert.deepEqual(spec.baselines, { routellm: {}, graphrouter: {}, irt: {}, knn: {}, mlp: {} });
  assert.ok(spec.methods.includes("routellm") && spec.methods.includes("routellm-pair"), "both RouteLLM forms");
  assert.deepEqual(spec.tuning, { configurations: 4 });
  assert.deepEqual(spec.paretoAlphas, [0, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2, 4]);
  await assert.rejects(parseEvalSpec({ benchmark: { name: "keyword" }, tuning: { configurations: 0 } }, "s.json", "/b"), /tuning\.configurations: /);
});

test("data paths and the work folder resolve against the spec's folder", async () => {
  const spec = await parseEvalSpec({ data: { format: "jsonl", file: "items.jsonl", sizes: { train: 4, valid: 2, test: 2 } }, work: "w" }, "spec.json", "/base/dir");
  assert.equal(spec.data!.file, "/base/dir/items.jsonl");
  assert.equal(spec.work, "/base/dir/w");
  assert.deepEqual(spec.data!.sizes, { train: 4, valid: 2, test: 2 });
});

test("a wrong spec is refused with every offending field named", async () => {
  await assert.rejects(
    parseEvalSpec(
      {
        benchmark: { name: "words", phrasings: 20 },
        config: "c.json",
        alphas: [],
        seeds: [1, 1],
        methods: ["haps", "magic"],
        ablations: { depths: [0], extra: true },
        rl: { sigma: -1 },
        sft: { target: "all" },
        baselines: { routellm: { dimension: 3 } },
        out: "x",
      },
      "spec.json",
      "/base",
    ),
    (error: Error) => {
      assert.equal(error.name, "ConfigError");
      assert.match(error.message, /^spec\.json: invalid evaluation spec/);
      for (const field of ["benchmark.name", "benchmark.phrasings", "alphas", "methods.1", "ablations.depths.0", "ablations", "rl.sigma", "sft.target", "baselines.routellm", "(root)"]) {
        assert.match(error.message, new RegExp(`\\n  ${field.replace(/[.()]/g, "\\$&")}:`), `${field} named`);
      }
      return true;
    },
  );
  // Rules across fields.
  await assert.rejects(parseEvalSpec({}, "s.json", "/b"), /data: give either data .* or benchmark, exactly one/);
  await assert.rejects(parseEvalSpec({ benchmark: { name: "keyword" }, config: "c.json" }, "s.json", "/b"), /config: the keyword benchmark brings its own models/);
  await assert.rejects(parseEvalSpec({ benchmark: { name: "keyword", phrasings: 4, train: 3, valid: 1 } }, "s.json", "/b"), /benchmark\.train: train \(3\) \+ valid \(1\) must leave at least one of the 4 phrasings/);
  await assert.rejects(parseEvalSpec({ benchmark: { name: "keyword" }, seeds: [2, 2], alphas: [0, 0] }, "s.json", "/b"), (e: Error) => /seeds: each seed once/.test(e.message) && /alphas: each cost regime once/.test(e.message));
});

test("the baselines' own option checks name the spec field", async () => {
  await assert.rejects(
    parseEvalSpec({ benchmark: { name: "keyword" }, baselines: { routellm: { threshold: 2 }, graphrouter: { maskRate: 1 }, irt: { warmUp: -1 } } }, "s.json", "/b"),
    (error: Error) => {
      assert.match(error.message, /baselines\.routellm: RouteLlmMfRouter: option threshold must be in \[0, 1\], got 2/);
      assert.match(error.message, /baselines\.graphrouter: GraphRouter: option maskRate must be in \(0, 1\), got 1/);
      assert.match(error.message, /baselines\.irt: IrtRouter: option warmUp must be in \[0, 1\], got -1/);
      return true;
    },
  );
});

test("a JSON syntax error names line and column; a missing file says so", async () => {
  const dir = tempDir("eval-spec");
  const bad = path.join(dir, "bad.json");
  writeFileSync(bad, `{\n  "benchmark": { "name": "keyword" },\n  "seeds": {,}\n}`);
  await assert.rejects(loadEvalSpec(bad), /bad\.json:3:\d+: invalid JSON/);
  await assert.rejects(loadEvalSpec(path.join(dir, "none.json")), /cannot read the evaluation spec .*none\.json: no such file/);
});
