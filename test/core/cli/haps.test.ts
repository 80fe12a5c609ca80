// The `haps` command line, run as a user would (a real process, the embedded models, real inference).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findNativeBinary } from "../../../src/core/native/nativeLayer.ts";
import { tempDir } from "../runtime/helpers.ts";
import { haps as run } from "./hapsProcess.ts";

const haps = (args: string[], env: Record<string, string> = {}) => run([...args, "--threads", "1", "--gpu", "off"], env);

/** Runs `haps args`, expects exit code 1 and stderr matching `message`. */
async function expectFailure(args: string[], message: RegExp): Promise<void> {
  await assert.rejects(haps(args), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 1, error.stderr);
    assert.match(error.stderr, message);
    return true;
  });
}

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

  test("bad flags name what was wrong and exit 1", async () => {
    await expectFailure(["route"], /--question TEXT is required/);
    await expectFailure(["route", "--question", "q", "--alpha=-2"], /--alpha: expected a number >= 0/);
    await expectFailure(["route", "--question", "q", "--choices", "only one"], /--choices: expected at least two/);
    await expectFailure(["route", "--question", "q", "--bogus"], /bogus/);
  });

  test("configuration files: missing, invalid, out of bounds, naming missing models by field", async () => {
    const dir = tempDir("cli-config");
    await expectFailure(["route", "--question", "q", "--config", path.join(dir, "absent.json")], /configuration file ".*absent\.json": not found/);
    const write = (name: string, config: object) => {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify(config));
      return file;
    };
    const bad = write("bad.json", { router: { model: "r.gguf" }, agents: [], candidates: [{ id: "x", model: "m.gguf", price: { input: -1 } }] });
    await expectFailure(["route", "--question", "q", "--config", bad], /bad\.json: invalid configuration[\s\S]*agents[\s\S]*candidates\.0\.price\.input/);
    const agents = [{ id: "student", role: "s" }, { id: "teacher", role: "t" }];
    const huge = write("huge.json", { router: { model: "r.gguf" }, agents, candidates: [{ id: "x", model: "m.gguf" }], generator: { rank: 100000 } });
    await expectFailure(["route", "--question", "q", "--config", huge], /huge\.json: invalid configuration\n {2}generator\.rank: .*<=256/);
    const missing = write("missing.json", { router: { model: "no-router.gguf" }, agents, candidates: [{ id: "x", model: "no-x.gguf" }] });
    await expectFailure(
      ["route", "--question", "q", "--config", missing],
      /missing\.json: files it names are missing\n {2}router\.model: router model file ".*no-router\.gguf": not found\n {2}candidates\[0\]\.model: candidate "x": model file ".*no-x\.gguf": not found/,
    );
  });

  test("context files: binary, and empty in either form, are refused the same way (more cases in data/contextFile.test.ts)", async () => {
    const dir = tempDir("cli-context");
    const file = (name: string, content: string | Buffer) => {
      const p = path.join(dir, name);
      writeFileSync(p, content);
      return p;
    };
    const route = (context: string) => ["route", "--question", "q", "--context", context];
    await expectFailure(route(file("image.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]))), /context file ".*image\.png" is not text \(a NUL byte at offset 8\)/);
    await expectFailure(route(file("empty.txt", "\n  \n")), /context file ".*empty\.txt" has no paragraphs/);
    await expectFailure(route(file("empty.json", "[]")), /context file ".*empty\.json" has no paragraphs \(an empty JSON array\)/);
  });

  test("a 120,000-character question is refused with its token count and the limit", async () => {
    await expectFailure(["route", "--question", "x".repeat(120_000)], /--question: 120,000 tokens for the router model, but a question may take at most 512 \(a quarter of the smallest model context, 2,048 tokens/);
  });
});

describe("haps help, info and the first run", () => {
  test("--help lists the commands and the real thread default; each command has its own --help", async () => {
    const { stdout } = await haps(["--help"]);
    for (const command of ["route", "demo", "info", "bench"]) assert.match(stdout, new RegExp(`^  ${command} `, "m"));
    const half = Math.max(1, Math.floor(os.availableParallelism() / 2));
    assert.match(stdout, new RegExp(`--threads N .*default: half the logical cores, at least 1: ${half} here`));
    const route = await haps(["route", "--help"]);
    assert.match(route.stdout, /^usage: haps route --question TEXT/);
    assert.match(route.stdout, /--context FILE/);
    assert.match(route.stdout, /--threads N/);
    assert.match((await haps(["info", "-h"])).stdout, /^usage: haps info \[--json\]/);
  });

  test("the first run says it generates the embedded models; info prints text, or JSON with --json", async () => {
    const cache = tempDir("cli-first-run");
    const first = await haps(["info"], { HAPS_CACHE_DIR: cache });
    for (const name of ["haps-router-64x4", "haps-small-64x4", "haps-wide-128x6"])
      assert.match(first.stderr, new RegExp(`Generating the embedded model ${name} .* \\(first run only\\)`));
    assert.match(first.stdout, /^backend {9}cpu$/m);
    assert.match(first.stdout, /^threads {9}1 per context$/m);
    assert.match(first.stdout, /^models loaded {3}3$/m);
    assert.match(first.stdout, findNativeBinary() == null ? /^adapter path {4}typescript \(files\): /m : /^adapter path {4}native \(in place\): native layer: /m);
    assert.match(first.stdout, new RegExp(`^hypernetwork {4}${Math.min(4, os.availableParallelism())} thread\\(s\\) for its largest layers`, "m"));
    assert.match(first.stdout, /^  haps-wide-128x6-[0-9a-f]{12} +llama, n_embd 128, 0\/7 layers on the GPU$/m);
    const again = await haps(["info", "--json"], { HAPS_CACHE_DIR: cache });
    assert.doesNotMatch(again.stderr, /Generating/, "models already generated are not announced again");
    const info = JSON.parse(again.stdout);
    assert.equal(info.backend, "cpu");
    assert.equal(info.threads, 1);
    assert.deepEqual(info.models.map((m: { id: string }) => m.id).sort(), [...first.stdout.matchAll(/^ {2}(haps-\S+)/gm)].map((m) => m[1]).sort());
  });
});

describe("haps demo --data", () => {
  test("a missing file is an error; malformed lines are listed with file:line and skipped", async () => {
    const dir = tempDir("cli-demo");
    await expectFailure(["demo", "--data", path.join(dir, "absent.jsonl")], /--data: HotpotQA file ".*absent\.jsonl": not found/);
    const good = {
      _id: "demo-1",
      question: "Which river flows through Paris?",
      answer: "Seine",
      supporting_facts: [["Paris", 0]],
      context: [["Paris", ["The Seine flows through Paris."]]],
    };
    const file = path.join(dir, "data.jsonl");
    writeFileSync(file, ["{broken", JSON.stringify({ ...good, question: "" }), JSON.stringify(good)].join("\n"));
    const { stdout } = await haps(["demo", "--data", file]);
    assert.match(stdout, new RegExp(`skipped ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1: bad JSON`));
    assert.match(stdout, /skipped .*data\.jsonl:2 field "question": expected a non-empty string/);
    assert.match(stdout, /HotpotQA item demo-1 from /);
    assert.match(stdout, /Demo finished in /);
    const none = path.join(dir, "none.jsonl");
    writeFileSync(none, "{broken\n");
    await expectFailure(["demo", "--data", none], /--data ".*none\.jsonl": no usable HotpotQA record \(0 read, 1 malformed\)/);
  });
});
