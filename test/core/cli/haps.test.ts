// The `haps` command line, run as a user would (a real process, the embedded models, real inference).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot, tempDir } from "../runtime/helpers.ts";

const run = promisify(execFile);
const cli = path.join(repoRoot, "src/cli/main.ts");
const haps = (args: string[]) =>
  run(process.execPath, ["--import", "tsx", cli, ...args, "--threads", "1", "--gpu", "off"], { cwd: repoRoot, maxBuffer: 32 << 20 });

describe("haps route", () => {
  test("--json prints one object with the assignment, adapters, transcript, answer, tokens and cost", async () => {
    const { stdout } = await haps(["route", "--question", "Which is a colour?", "--choices", "dog|red|run|seven", "--gold", "B", "--json"]);
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 1, "--json must print exactly one line");
    const report = JSON.parse(lines[0]);
    for (const key of ["assignment", "adapters", "transcript", "answer", "tokens", "cost"]) assert.ok(key in report, `missing ${key}`);
    assert.equal(report.task, "multiple-choice");
    assert.ok(report.transcript.length >= 2);
    assert.equal(typeof report.cost.total, "number");
    assert.ok("correct" in report.metrics);
  });

  test("a search question with a context file streams the dialogue and prints the answer", async () => {
    const dir = tempDir("cli");
    const context = path.join(dir, "context.txt");
    writeFileSync(context, "Paris\nParis is the capital of France.\n\nSeine\nThe Seine flows through Paris.\n");
    const { stdout } = await haps(["route", "--question", "Which river flows through Paris?", "--context", context]);
    assert.match(stdout, /Routing \(zero-shot\):/);
    assert.match(stdout, /Adapter for (student|teacher) on /);
    assert.match(stdout, /\[student\] /);
    assert.match(stdout, /Answer: /);
    assert.match(stdout, /Tokens:/);
  });

  test("bad input names what was wrong and exits non-zero", async () => {
    const expectFailure = async (args: string[], message: RegExp) => {
      await assert.rejects(haps(args), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, message);
        return true;
      });
    };
    await expectFailure(["route"], /--question TEXT is required/);
    await expectFailure(["route", "--question", "q", "--alpha=-2"], /--alpha: expected a number >= 0/);
    await expectFailure(["route", "--question", "q", "--choices", "only one"], /--choices: expected at least two/);
    await expectFailure(["route", "--question", "q", "--bogus"], /bogus/);
    const dir = tempDir("cli-config");
    const config = path.join(dir, "bad.json");
    writeFileSync(config, JSON.stringify({ router: { model: "r.gguf" }, agents: [], candidates: [{ id: "x", model: "m.gguf", price: { input: -1 } }] }));
    await expectFailure(["route", "--question", "q", "--config", config], /bad\.json: invalid configuration[\s\S]*agents[\s\S]*candidates\.0\.price\.input/);
  });
});
