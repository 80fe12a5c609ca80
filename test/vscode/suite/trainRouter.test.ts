// "HAPS: Train Router" in a real VS Code: a tiny training spec (the keyword benchmark's generated models, 12 items)
// trains in the engine, writes the checkpoint and a routing configuration that then becomes haps.configFile; a spec
// with a wrong field fails naming it.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as vscode from "vscode";
import { writeKeywordBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import type { TrainRouterOutcome } from "../../../src/extension/commands/trainRouter.ts";
import { hapsApi } from "./helpers.ts";

describe("HAPS: Train Router", () => {
  const dir = mkdtempSync(join(tmpdir(), "haps-train-"));
  after(async () => {
    await vscode.workspace.getConfiguration("haps").update("configFile", undefined, vscode.ConfigurationTarget.Global);
    rmSync(dir, { recursive: true, force: true });
  });

  let spec: Record<string, unknown>;
  before(async () => {
    const benchmark = await writeKeywordBenchmark(join(dir, "benchmark"));
    // Two phrasings of every keyword (the context keywords under both code books): 34 items, of which the spec takes 12.
    const items = readFileSync(benchmark.dataFile, "utf8").trim().split("\n").filter((l) => /-(0|1)"/.test(l));
    writeFileSync(join(dir, "items.jsonl"), `${items.join("\n")}\n`);
    // Paths relative to the spec file, as a person writes them.
    spec = {
      config: `benchmark/${basename(benchmark.configFile)}`,
      data: { format: "jsonl", file: "items.jsonl", sizes: { train: 8, valid: 2, test: 2 }, seed: 3 },
      seeds: [5],
      out: "train",
      sft: { epochs: 5 },
      rl: { epochs: 1, batchSize: 4, validateEvery: 1000, patience: 1 },
    };
  });

  it("trains from the spec given as the command's argument, writes the checkpoint and sets haps.configFile to the trained configuration", async () => {
    const api = await hapsApi();
    const specPath = join(dir, "train.json");
    writeFileSync(specPath, JSON.stringify(spec, null, 2));
    const outcome = await vscode.commands.executeCommand<TrainRouterOutcome>("haps.trainRouter", { specPath, useConfig: true });
    assert.equal(outcome.status, "trained", JSON.stringify(outcome));
    if (outcome.status !== "trained") return;
    assert.equal(outcome.summary.out, join(dir, "train"));
    assert.deepEqual(outcome.summary.seeds.map((s) => s.seed), [5]);
    const [seed] = outcome.summary.seeds;
    assert.ok(existsSync(join(seed.checkpoint, "manifest.json")), `checkpoint at ${seed.checkpoint}`);
    assert.equal(outcome.configFile, seed.configFile);
    const trained = JSON.parse(readFileSync(outcome.configFile, "utf8"));
    assert.equal(trained.router.mode, "trained");
    assert.equal(trained.router.checkpoint, seed.checkpoint);
    assert.equal(outcome.used, true);
    assert.equal(vscode.workspace.getConfiguration("haps").get("configFile"), outcome.configFile);
    assert.equal(api.engineActiveRequests(), 0);
  });

  it("a spec with a wrong field fails naming the file and the field", async () => {
    const specPath = join(dir, "bad-train.json");
    writeFileSync(specPath, JSON.stringify({ ...spec, rl: { epochs: -1 } }));
    const outcome = await vscode.commands.executeCommand<TrainRouterOutcome>("haps.trainRouter", { specPath });
    assert.equal(outcome.status, "failed");
    if (outcome.status !== "failed") return;
    assert.ok(outcome.message.includes(specPath), outcome.message);
    assert.match(outcome.message, /rl\.epochs/);
  });
});
