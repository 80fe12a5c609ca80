// `haps train` end to end as a user runs it (a real process, real models, real episodes): on a small cut of the
// keyword benchmark it writes the action-level data, a checkpoint with the cost normaliser, a ready routing
// configuration and its histories; the same seed gives the same numbers; a run killed with SIGKILL during RL resumes
// from its last validation and ends exactly where an uninterrupted run ends.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { writeKeywordBenchmark } from "../../../src/core/benchmark/keywordBenchmark.ts";
import { ENGINE_ALLOCATOR_ENV, ENGINE_NODE_FLAGS } from "../../../src/core/engine/allocatorEnv.ts";
import { repoRoot, tempDir } from "../runtime/helpers.ts";

// The CLI process itself (with the memory settings its launcher would give it), so that a SIGKILL hits the process
// doing the work.
const cli = path.join(repoRoot, "src/cli/main.ts");
const env = { ...process.env, ...ENGINE_ALLOCATOR_ENV };
const args = (spec: string) => [...ENGINE_NODE_FLAGS, "--import", "tsx", cli, "train", "--spec", spec, "--threads", "1", "--json"];

async function setUp(): Promise<{ dir: string; spec: (out: string) => string }> {
  const dir = tempDir("train");
  const benchmark = await writeKeywordBenchmark(path.join(dir, "benchmark"));
  // Two phrasings of every keyword (the context keywords under both code books): 34 items.
  const items = readFileSync(benchmark.dataFile, "utf8").trim().split("\n").filter((l) => /-(0|1)"/.test(l));
  writeFileSync(path.join(dir, "items.jsonl"), `${items.join("\n")}\n`);
  return {
    dir,
    spec: (out) => {
      const file = path.join(dir, `${out}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          config: "benchmark/config.json",
          data: { format: "jsonl", file: "items.jsonl", sizes: { train: 12, valid: 6, test: 6 }, seed: 3 },
          seeds: [5],
          out,
          sft: { epochs: 10 },
          // averageLast 2: the killed and resumed run validates averaged weights too (the snapshots' own round trip through
          // the resumable state is checked in validationAverage.test.ts, where a lost snapshot cannot hide).
          rl: { epochs: 2, batchSize: 2, validateEvery: 4, patience: 10, averageLast: 2 },
        }),
      );
      return file;
    },
  };
}

const sha = (file: string) => JSON.parse(readFileSync(file, "utf8")).weights.sha256 as string;

describe("haps train", () => {
  test("writes actions, checkpoint, routing configuration and histories; the same seed gives the same numbers; a SIGKILLed run resumes to the same end", async () => {
    const { dir, spec } = await setUp();
    const { stdout } = await promisify(execFile)(process.execPath, args(spec("a")), { cwd: repoRoot, env, maxBuffer: 32 << 20 });
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.splits.train.length, 12);
    assert.equal(readFileSync(path.join(dir, "a", "actions.jsonl"), "utf8").trim().split("\n").length, 1 + 18 * 4, "header + every train/valid item under all 4 assignments");
    const seed = summary.seeds[0];
    const manifest = JSON.parse(readFileSync(path.join(seed.checkpoint, "manifest.json"), "utf8"));
    assert.equal(manifest.extra.costNormalizer.kind, "min-max");
    assert.equal(manifest.extra.seed, 5);
    const config = JSON.parse(readFileSync(seed.configFile, "utf8"));
    assert.equal(config.router.mode, "trained");
    assert.equal(config.router.checkpoint, seed.checkpoint);
    const history = JSON.parse(readFileSync(path.join(dir, "a", "seed-5", "history.json"), "utf8"));
    assert.ok(history.rl.history.length >= 3, "validated before RL and during it");
    assert.equal(history.rl.resumed, false);

    // The routing configuration it wrote works as is: trained routing through the CLI.
    const routed = await promisify(execFile)(process.execPath, [...ENGINE_NODE_FLAGS, "--import", "tsx", cli, "route", "--config", seed.configFile, "--question", "Which letter stands for amber?", "--choices", "river|stone|cloud|tree", "--json", "--threads", "1"], { cwd: repoRoot, env, maxBuffer: 32 << 20 });
    assert.equal(JSON.parse(routed.stdout.trim()).assignment.mode, "trained");

    // A killed run: SIGKILL at the second validation during RL (the first one's state is on disk by then), then again.
    const killed = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
      const child = spawn(process.execPath, args(spec("b")), { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
      let seen = 0;
      child.stderr.on("data", (d: Buffer) => {
        seen += (d.toString().match(/validation reward .* after [1-9]\d* items/g) ?? []).length;
        if (seen >= 2) child.kill("SIGKILL");
      });
      child.once("error", reject);
      child.once("exit", (_code, signal) => resolve(signal));
    });
    assert.equal(killed, "SIGKILL");
    await promisify(execFile)(process.execPath, args(spec("b")), { cwd: repoRoot, env, maxBuffer: 32 << 20 });
    const resumed = JSON.parse(readFileSync(path.join(dir, "b", "seed-5", "history.json"), "utf8"));
    assert.equal(resumed.rl.resumed, true);
    // Same seed, same numbers: the resumed run and the uninterrupted one end on the same validation history and weights.
    assert.deepEqual(resumed.rl.history, history.rl.history);
    assert.deepEqual(resumed.sft, history.sft);
    assert.equal(sha(path.join(dir, "b", "seed-5", "checkpoint", "manifest.json")), sha(path.join(seed.checkpoint, "manifest.json")));
  });

  test("a bad spec is refused with the field named and a non-zero exit", async () => {
    const dir = tempDir("train");
    const file = path.join(dir, "spec.json");
    writeFileSync(file, JSON.stringify({ data: { format: "jsonl", file: "x.jsonl" }, out: "o", rl: { epochs: -1 } }));
    await assert.rejects(promisify(execFile)(process.execPath, args(file), { cwd: repoRoot, env }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /rl\.epochs:/);
      return true;
    });
  });
});
