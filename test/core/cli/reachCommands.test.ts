// `haps serve`, `haps download` and `haps export-adapter` as a user runs them: real processes, a real HTTP client, a
// loopback file server; Ctrl-C stops the server cleanly.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, test } from "node:test";
import { PEFT_CONFIG_FILE, readPeftAdapter } from "../../../src/core/adapters/peftAdapter.ts";
import { uriCacheDir } from "../../../src/core/download/downloadModel.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { tempDir } from "../runtime/helpers.ts";
import { childrenOf, haps, isAlive, startHaps, waitFor } from "./hapsProcess.ts";

const skip = process.platform === "linux" ? false : "reads /proc";

describe("haps serve, download and export-adapter", { skip }, () => {
  test("haps serve answers on loopback with a token from the environment; Ctrl-C stops it (exit 130, nothing left)", async () => {
    const run = startHaps(["serve", "--port", "0", "--token-env", "HAPS_TEST_TOKEN", "--threads", "1", "--gpu", "off"], { HAPS_TEST_TOKEN: "cli-token" });
    const url = await waitFor(() => /haps serve: (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(run.stdout())?.[1], "the server to listen", 120_000);
    assert.match(run.stdout(), /bearer token required/);
    assert.ok(!run.stdout().includes("cli-token") && !run.stderr().includes("cli-token"), "the token is never printed");
    assert.equal((await fetch(`${url}/models`)).status, 401);
    const models = (await (await fetch(`${url}/models`, { headers: { authorization: "Bearer cli-token" } })).json()) as { data: { id: string }[] };
    assert.equal(models.data[0].id, "haps");
    const [cli] = childrenOf(run.child.pid!);
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 130, run.stderr());
    assert.match(run.stderr(), /GET \/v1\/models 200/);
    assert.equal(isAlive(cli), false);
    await assert.rejects(fetch(`${url}/models`), "the port is closed");
  });

  test("haps serve refuses a token variable that is not set, naming it", async () => {
    await assert.rejects(haps(["serve", "--token-env", "HAPS_TEST_NO_SUCH_VAR", "--port", "0"]), (error: Error & { stderr: string }) => {
      assert.match(error.stderr, /--token-env: the environment variable HAPS_TEST_NO_SUCH_VAR is not set/);
      return true;
    });
  });

  test("haps export-adapter writes each open candidate's adapter as PEFT and GGUF for a question", async () => {
    const out = tempDir("export-cli");
    const { stdout } = await haps(["export-adapter", "--question", "Which river flows through Paris?", "--out", out, "--json", "--threads", "1", "--gpu", "off"]);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.policy, "untrained");
    assert.equal(summary.adapters.length, 2, "both embedded candidates are open");
    for (const a of summary.adapters) {
      assert.deepEqual(readdirSync(a.dir).sort(), ["adapter.gguf", PEFT_CONFIG_FILE, "adapter_model.safetensors"].sort());
      const read = await readPeftAdapter(a.dir);
      assert.equal(read.baseModel, a.baseModel);
      assert.ok(a.baseModel.startsWith(a.candidate), "a local candidate's file name, without .gguf");
      assert.equal(read.adapter.layers.length, 1, "lastLayers = 1");
      assert.deepEqual(read.adapter.layers.map((l) => l.layer), a.layers);
      assert.equal(read.adapter.layers[0].rank, 8);
    }
    await assert.rejects(haps(["export-adapter", "--question", "q", "--out", out, "--candidate", "nope"]), /--candidate: "nope" is not an open candidate/);
  });

  test("haps download --uri fetches from a loopback server with progress lines and checks the SHA-256; --starter asks first", async () => {
    const model = Buffer.from(buildTinyLlama({ name: "cli-download", embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 16 }).toBytes());
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": model.length });
      res.end(model);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const dir = tempDir("download-cli");
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/cli.gguf`;
      const sha = createHash("sha256").update(model).digest("hex");
      const { stdout, stderr } = await haps(["download", "--uri", uri, "--dir", dir, "--sha256", sha]);
      assert.equal(stdout.trim(), path.join(uriCacheDir(uri, dir), "cli.gguf"));
      assert.match(stderr, /cli\.gguf: .* of .* \(100%\)/, "a progress line (stderr is not a terminal here)");
      assert.deepEqual(readFileSync(path.join(uriCacheDir(uri, dir), "cli.gguf")), model);
      await assert.rejects(haps(["download", "--uri", uri, "--dir", tempDir("download-cli"), "--sha256", "f".repeat(64)]), /SHA-256 is [0-9a-f]{64}, expected f{64}/);
    } finally {
      server.close();
    }
    // The starter set: sizes listed, and nothing downloaded without an answer (stdin is not a terminal here).
    const dir = tempDir("starter");
    await assert.rejects(haps(["download", "--starter", "--dir", dir, "--write-config", path.join(dir, "starter.json")]), (error: Error & { stdout: string; stderr: string }) => {
      assert.match(error.stdout, /router +llama-3\.2-1b +~ *808\.0 MB/);
      assert.match(error.stdout, /embedding +nomic-embed-text-v1\.5/);
      assert.match(error.stdout, /in all about 4\.1 GB/);
      assert.match(error.stderr, /stdin is not a terminal: pass --yes/);
      return true;
    });
    assert.deepEqual(readdirSync(dir), []);
    assert.ok(!existsSync(path.join(dir, "starter.json")));
  });

  test("haps --help lists the new commands", async () => {
    const { stdout } = await haps(["--help"]);
    for (const name of ["serve", "download", "export-adapter"]) assert.match(stdout, new RegExp(`^  ${name} +\\S`, "m"));
  });
});
