// Model downloads in VS Code, from a loopback HTTP server that serves one of the embedded GGUF models: a URI in the
// model settings is fetched before the route that needs it (progress in bytes, speed and time left), and
// HAPS: Download Starter Models fetches a set (here the loopback one), can be cancelled mid-way, and resumes.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as vscode from "vscode";
import type { ModelDownloadEvent } from "../../../src/core/download/downloadModels.ts";
import type { StarterModel } from "../../../src/core/download/starterSet.ts";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";
import { starterQuestion } from "../../../src/extension/downloads/downloadStarterModels.ts";
import type { DownloadReport } from "../../../src/extension/downloads/ModelDownloads.ts";
import type { ManageModelsResult } from "../../../src/extension/downloads/manageModels.ts";
import { hapsApi, PARIS_CONTEXT, sleep, withSettings, logText } from "./helpers.ts";

/** node-llama-cpp's downloader (ipull) fetches 5 MiB chunks; a resumed download starts at a chunk boundary. */
const CHUNK = 5 * 1024 * 1024;

describe("Model downloads", function () {
  let server: Server;
  let origin: string;
  let files: { router: string; small: string; wide: string };
  const requests: { method: string; path: string; start: number; whole: boolean }[] = [];
  /** While set, ranges starting at or after this byte send 100 KB and then stall. */
  let stallFrom: number | null = null;

  before(async () => {
    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    const path = (prefix: string) => info.models.find((m) => m.id.startsWith(prefix) && m.pooling == null)!.path;
    files = { router: path("haps-router-"), small: path("haps-small-"), wide: path("haps-wide-") };
    const bodies: Record<string, Buffer> = { small: readFileSync(files.small), wide: readFileSync(files.wide) };
    server = createServer((req, res) => {
      const name = /\/(small|wide)-[^/]*\.gguf$/.exec(req.url ?? "")?.[1];
      const body = name ? bodies[name] : undefined;
      if (body == null) return void res.writeHead(404).end();
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
      const start = m ? Number(m[1]) : 0;
      const end = m && m[2] ? Number(m[2]) : body.length - 1;
      requests.push({ method: req.method ?? "GET", path: req.url!, start, whole: m == null });
      res.writeHead(m ? 206 : 200, {
        "accept-ranges": "bytes",
        "content-length": end - start + 1,
        ...(m ? { "content-range": `bytes ${start}-${end}/${body.length}` } : {}),
      });
      if (req.method === "HEAD") return void res.end();
      const part = body.subarray(start, end + 1);
      if (stallFrom != null && start >= stallFrom) return void res.write(part.subarray(0, 100_000));
      // ~4 MB/s, so that speed and time left are measured while it runs.
      let at = 0;
      const timer = setInterval(() => {
        if (at >= part.length || res.destroyed) {
          clearInterval(timer);
          return void res.end();
        }
        res.write(part.subarray(at, at + 200_000));
        at += 200_000;
      }, 50);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("a URI in the model settings is downloaded before the route, with bytes, speed and time left, then routed to", async () => {
    const api = await hapsApi();
    const reports: DownloadReport[] = [];
    const listener = api.downloads.onDidReport((r) => reports.push(r));
    try {
      const uri = `${origin}/m/small-${Date.now()}.gguf`;
      const { report } = await withSettings(
        { "models.router": files.router, "models.candidates": [{ model: uri, name: "downloaded" }], "search.budget": 0 },
        () => api.route({ question: "Which river flows through Paris?", context: PARIS_CONTEXT }),
      );
      assert.deepEqual(Object.keys(report.tokens), ["downloaded"], "the route used the downloaded file");
      const types = reports.map((r) => r.event.type);
      assert.equal(types[0], "start");
      assert.equal(types.at(-1), "done");
      assert.ok(reports.every((r) => r.event.field === "candidates[0].model"));
      assert.ok(reports.some((r) => /^candidates\[0\]\.model: \d+(\.\d)? [KM]B of 1\.6 MB, \d+(\.\d)? [KM]B\/s, \d+s left$/.test(r.message)), `a message with bytes, speed and time left: ${reports.map((r) => r.message).join(" | ")}`);
      // A second route finds the file in the cache: no download, no report.
      const count = reports.length;
      await withSettings({ "models.router": files.router, "models.candidates": [{ model: uri, name: "downloaded" }], "search.budget": 0 }, () =>
        api.route({ question: "Which river flows through Paris?", context: PARIS_CONTEXT }),
      );
      assert.equal(reports.length, count);

      // HAPS: Manage Downloaded Models lists it with its size (in the cache the CLI shares), and deletes it.
      const listed = await vscode.commands.executeCommand<ManageModelsResult>("haps.manageModels", { delete: [] });
      assert.equal(listed.dir, process.env.HAPS_MODELS_DIR, "the shared cache (this test run's own folder)");
      const entry = listed.models.find((m) => m.uri === uri);
      assert.ok(entry, `listed: ${listed.models.map((m) => m.uri).join(", ")}`);
      assert.ok(entry.bytes > 1e6 && entry.files.some((f) => f.path.endsWith(".gguf")), `${entry.bytes} bytes`);
      const removed = await vscode.commands.executeCommand<ManageModelsResult>("haps.manageModels", { delete: [uri] });
      assert.deepEqual(removed.deleted.map((m) => m.uri), [uri]);
      assert.ok(entry.files.every((f) => !existsSync(f.path)), "its files are gone");
      assert.match(await logText(), /\[info\] Deleted the downloaded model http:\/\/127\.0\.0\.1:\d+\/m\/small-\d+\.gguf \(1\.\d MB\)/);
    } finally {
      listener.dispose();
    }
  });

  it("HAPS: Download Starter Models asks with the sizes, can be cancelled mid-way, and resumes from where it stopped", async () => {
    const api = await hapsApi();
    const wide = `${origin}/m/wide-${Date.now()}.gguf`;
    const set: StarterModel[] = [
      { role: "router", id: "router-test", uri: `${origin}/m/small-router-${Date.now()}.gguf`, approxBytes: 1.6e6, description: "the router" },
      { role: "candidate", id: "wide-test", uri: wide, approxBytes: 5.8e6, description: "a candidate", price: { input: 1, output: 2 } },
    ];
    const question = starterQuestion(set);
    assert.equal(question.message, "Download the HAPS starter models (about 7.4 MB)?");
    assert.equal(question.detail, "router router-test: ~1.6 MB - the router\ncandidate wide-test: ~5.8 MB - a candidate");

    const events: ModelDownloadEvent[] = [];
    let cancelPending = true;
    const listener = api.downloads.onDidReport((r) => {
      events.push(r.event);
      // Cancel once the wide file's first chunk is in (its second stalls), as the notification's Cancel would.
      if (cancelPending && r.event.type === "progress" && r.event.uri === wide && r.event.progress.downloadedBytes >= CHUNK) {
        cancelPending = false;
        setTimeout(() => api.downloads.cancel(), 300);
      }
    });
    try {
      stallFrom = CHUNK;
      const cancelled = await vscode.commands.executeCommand<string | undefined>("haps.downloadStarterModels", { models: set, assumeYes: true });
      assert.equal(cancelled, undefined, "cancelled: no configuration written");
      assert.equal(api.downloads.busy(), false);
      assert.ok(events.some((e) => e.type === "done" && e.field === "router-test"), "the first file was done before the cancel");
      assert.ok(!events.some((e) => e.type === "done" && e.field === "wide-test"));

      stallFrom = null;
      const resumedFrom = requests.length;
      const written = await vscode.commands.executeCommand<string | undefined>("haps.downloadStarterModels", { models: set, assumeYes: true });
      assert.ok(written?.endsWith("haps-starter.json"), `the configuration was written (${written}); the log ends: ${(await logText()).slice(-1500)}`);
      // Ranged requests only: the downloader first asks for the whole file to learn its size, and drops it.
      const again = requests.slice(resumedFrom).filter((r) => r.method === "GET" && !r.whole && r.path.includes("/wide-"));
      assert.ok(again.length > 0 && again.every((r) => r.start >= CHUNK), `the wide file resumed at its second chunk (${JSON.stringify(again)})`);
      const config = JSON.parse(readFileSync(written!, "utf8")) as { router: { model: string }; candidates: { id: string; model: string }[] };
      assert.equal(config.router.model, set[0].uri);
      assert.deepEqual(config.candidates.map((c) => [c.id, c.model]), [["wide-test", wide]]);
      assert.equal(vscode.workspace.getConfiguration("haps").get("configFile"), written, "assumeYes uses it");
    } finally {
      stallFrom = null;
      listener.dispose();
      await vscode.workspace.getConfiguration("haps").update("configFile", undefined, vscode.ConfigurationTarget.Global);
      for (let i = 0; i < 50 && api.downloads.busy(); i++) await sleep(100);
    }
  });
});
