// Model downloads through node-llama-cpp's downloader from a loopback HTTP server that serves a generated GGUF file
// (nothing here reaches the internet): interrupted and resumed, checked against its SHA-256, a corrupted file and a
// file that is no model refused and deleted, hf: URIs, and configurations whose model settings are URIs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { loadHapsConfig, parseHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { DownloadError } from "../../../src/core/download/DownloadError.ts";
import { cutDownloaderProgressTail, downloadModel, findDownloadedModel, uriCacheDir, type DownloadProgress } from "../../../src/core/download/downloadModel.ts";
import { configModelUris, resolveConfigModels } from "../../../src/core/download/resolveConfigModels.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { tempDir } from "../runtime/helpers.ts";

/** ipull (node-llama-cpp's downloader) fetches in 5 MiB chunks; a resumed download starts at a chunk boundary. */
const CHUNK = 5 * 1024 * 1024;

describe("model downloads from a loopback server", () => {
  // ~22 MB: four and a bit chunks, so that an interruption can leave some done and some not.
  const model = Buffer.from(buildTinyLlama({ name: "download-test", embeddingLength: 512, blockCount: 2, headCount: 4, feedForwardLength: 512 }).toBytes());
  const sha256 = createHash("sha256").update(model).digest("hex");
  const corrupted = Buffer.from(model);
  corrupted[corrupted.length - 1000] ^= 0xff; // one byte of tensor data: the header still parses
  const junk = Buffer.alloc(64 * 1024, 7);
  const requests: { path: string; start: number; end: number }[] = [];
  /** While set, ranges starting at or after this byte get 100 KB and then nothing (a stalled connection). */
  let stallFrom: number | null = null;
  let server: Server;
  let origin: string;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      const body = url.pathname.startsWith("/bad/") ? corrupted : url.pathname.startsWith("/junk/") ? junk : url.pathname.endsWith(".gguf") ? model : null;
      if (body == null) return res.writeHead(404).end();
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
      const start = m ? Number(m[1]) : 0;
      const end = m && m[2] ? Number(m[2]) : body.length - 1;
      requests.push({ path: url.pathname, start, end });
      res.writeHead(m ? 206 : 200, {
        "accept-ranges": "bytes",
        "content-type": "application/octet-stream",
        "content-length": end - start + 1,
        ...(m ? { "content-range": `bytes ${start}-${end}/${body.length}` } : {}),
      });
      if (req.method === "HEAD") return res.end();
      const part = body.subarray(start, end + 1);
      if (stallFrom != null && start >= stallFrom) return void res.write(part.subarray(0, 100_000));
      res.end(part);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("interrupted half-way, then resumed from where it stopped; progress in bytes, speed and time left; the SHA-256 checks out", async () => {
    const dir = tempDir("download");
    const uri = `${origin}/models/tiny.gguf`;
    const progress: DownloadProgress[] = [];
    // First attempt: the server stalls every range past 10 MiB; cancel once the first two chunks are in.
    stallFrom = 2 * CHUNK;
    const controller = new AbortController();
    await assert.rejects(
      downloadModel(uri, {
        dir,
        sha256,
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.downloadedBytes >= 2 * CHUNK + 100_000 && !controller.signal.aborted) setTimeout(() => controller.abort(new Error("interrupted by the test")), 300);
        },
      }),
      /interrupted by the test/,
    );
    const keyed = uriCacheDir(uri, dir);
    assert.ok(!existsSync(path.join(keyed, "tiny.gguf")), "no final file after an interruption");
    assert.deepEqual(readdirSync(keyed), ["tiny.gguf.ipull"], "the partial file stays for the next attempt");
    assert.equal(progress[0].totalBytes, model.length);
    assert.ok(progress.some((p) => p.bytesPerSecond > 0 && Number.isFinite(p.etaSeconds)), "speed and time left were measured");

    // Second attempt: the chunks already done are not fetched again.
    stallFrom = null;
    const from = requests.length;
    const file = await downloadModel(uri, { dir, sha256 });
    assert.equal(file, path.join(keyed, "tiny.gguf"));
    const ranges = requests.slice(from).filter((r) => r.start > 0 || r.end < model.length - 1);
    assert.ok(ranges.length > 0);
    assert.ok(ranges.every((r) => r.start >= 2 * CHUNK), `resumed ranges: ${ranges.map((r) => r.start).join(", ")}`);
    assert.equal(createHash("sha256").update(readFileSync(file)).digest("hex"), sha256);
    assert.deepEqual(readdirSync(keyed).sort(), ["source.json", "tiny.gguf", "tiny.gguf.sha256"]);
    // Found in the cache without asking the server (and not downloaded again).
    const before = requests.length;
    assert.equal(await findDownloadedModel(uri, { dir }), file);
    assert.equal(await downloadModel(uri, { dir, sha256 }), file);
    assert.ok(requests.length - before <= 1, "a complete file is not downloaded again (one request for its size at most)");
  });

  test("a corrupted download (SHA-256 differs) is refused and deleted", async () => {
    const dir = tempDir("download");
    await assert.rejects(downloadModel(`${origin}/bad/tiny.gguf`, { dir, sha256 }), (error: Error) => {
      assert.ok(error instanceof DownloadError);
      assert.match(error.message, new RegExp(`SHA-256 is [0-9a-f]{64}, expected ${sha256} .*the file was deleted`));
      return true;
    });
    assert.deepEqual(readdirSync(uriCacheDir(`${origin}/bad/tiny.gguf`, dir)), []);
  });

  test("a file that is not a GGUF model is refused and deleted", async () => {
    const dir = tempDir("download");
    await assert.rejects(downloadModel(`${origin}/junk/notes.gguf`, { dir }), /not a usable GGUF model .*the file was deleted/);
    assert.deepEqual(readdirSync(uriCacheDir(`${origin}/junk/notes.gguf`, dir)), []);
  });

  test("hf: URIs resolve against the Hugging Face endpoint, and are found in the cache afterwards", async () => {
    const dir = tempDir("download");
    const uri = "hf:someone/tiny-GGUF/tiny.gguf";
    const from = requests.length;
    const file = await downloadModel(uri, { dir, huggingFaceEndpoint: `${origin}/` });
    assert.ok(requests.slice(from).every((r) => r.path === "/someone/tiny-GGUF/resolve/main/tiny.gguf"));
    assert.deepEqual(readFileSync(file), model);
    assert.equal(await findDownloadedModel(uri, { dir, huggingFaceEndpoint: "http://127.0.0.1:9/" }), file, "found without the server");
  });

  test("a configuration's URI model settings: named when missing, downloaded on request, checked against its sha256 fields", async () => {
    const dir = tempDir("download");
    const configDir = tempDir("config");
    const raw = {
      router: { model: `${origin}/models/router.gguf`, sha256 },
      agents: [{ id: "student", role: "acts" }, { id: "teacher", role: "reviews" }],
      candidates: [
        { id: "a", model: `${origin}/models/a.gguf` },
        { id: "r", kind: "openai", baseUrl: "http://127.0.0.1:9/v1", model: "remote" },
      ],
    };
    const file = path.join(configDir, "config.json");
    writeFileSync(file, JSON.stringify(raw));
    // Loading does not ask for files that are URIs (or remote).
    const config = await loadHapsConfig(file);
    assert.equal(config.router.model, raw.router.model, "a URI is not resolved as a path");
    assert.deepEqual(configModelUris(config).map((u) => u.field), ["router.model", "candidates[0].model"]);
    await assert.rejects(resolveConfigModels(config, { dir }), (error: Error) => {
      assert.match(error.message, /router\.model: "http:\/\/127\.0\.0\.1:\d+\/models\/router\.gguf" is not downloaded yet/);
      assert.match(error.message, /candidates\[0\]\.model: .* is not downloaded yet/);
      assert.match(error.message, /haps download --config FILE/);
      return true;
    });
    const fields: string[] = [];
    const resolved = await resolveConfigModels(config, { dir, download: true, onProgress: (field) => fields.push(field) });
    assert.equal(resolved.router.model, path.join(uriCacheDir(raw.router.model, dir), "router.gguf"));
    assert.equal(resolved.candidates[0].model, path.join(uriCacheDir(raw.candidates[0].model!, dir), "a.gguf"));
    assert.equal(resolved.candidates[1].model, "remote", "a remote candidate's model is the server's name");
    assert.deepEqual([...new Set(fields)], ["router.model", "candidates[0].model"]);
    // A sha256 in the configuration that the file does not have: refused, with the field named.
    const wrong = parseHapsConfig({ ...raw, router: { model: raw.router.model, sha256: "0".repeat(64) } }, "c.json", configDir);
    await assert.rejects(resolveConfigModels(wrong, { dir }), /^DownloadError: router\.model: .*SHA-256 is [0-9a-f]{64}, expected 0{64}/);
  });

  test("the cache is keyed by the full URI: a file from another URL, or planted under a download's name, is not returned", async () => {
    const dir = tempDir("download");
    const first = await downloadModel(`${origin}/a/tiny.gguf`, { dir, sha256 });
    assert.equal(await findDownloadedModel(`${origin}/a/tiny.gguf`, { dir }), first);
    assert.equal(await findDownloadedModel(`${origin}/b/tiny.gguf`, { dir }), null, "same file name, another URL");
    // Planted where a cache keyed by file name would look: the starter router's name, in the cache folder itself.
    const { starterSet } = await import("../../../src/core/download/starterSet.ts");
    const router = starterSet()[0];
    // node-llama-cpp names an hf: download hf_<user>_<file>; both names are planted.
    const names = [router.uri.split("/").at(-1)!, `hf_bartowski_${router.uri.split("/").at(-1)!}`];
    for (const name of names) writeFileSync(path.join(dir, name), model);
    writeFileSync(path.join(dir, "tiny.gguf"), model);
    assert.equal(await findDownloadedModel(router.uri, { dir, huggingFaceEndpoint: "http://127.0.0.1:9/" }), null);
    // Planted in the very folder of the starter router's URI: its pinned SHA-256 refuses it, and it is deleted.
    const { downloadModels } = await import("../../../src/core/download/downloadModels.ts");
    const keyed = uriCacheDir(router.uri, dir);
    mkdirSync(keyed, { recursive: true });
    for (const name of names) writeFileSync(path.join(keyed, name), model);
    assert.ok(router.sha256 != null, "the starter router's SHA-256 is pinned");
    await assert.rejects(
      downloadModels([{ field: "router", uri: router.uri, sha256: router.sha256 }], { dir, dryRun: true }),
      new RegExp(`router: .*SHA-256 is ${sha256}, expected ${router.sha256} .*the file was deleted`),
    );
    assert.equal(readdirSync(keyed).filter((f) => f.endsWith(".gguf")).length, names.length - 1, "the file found was deleted");
  });

  test("plain http from another machine needs a sha256; a malformed % escape is named; a file over the size cap is not fetched", async () => {
    const dir = tempDir("download");
    await assert.rejects(downloadModel("http://models.example/tiny.gguf", { dir }), (error: Error) => {
      assert.ok(error instanceof DownloadError);
      assert.match(error.message, /"http:\/\/models\.example\/tiny\.gguf" is plain http: give its sha256 \(or use https\)/);
      return true;
    });
    await assert.rejects(downloadModel(`${origin}/models/bad%zzname.gguf`, { dir }), (error: Error) => {
      assert.ok(error instanceof DownloadError, `${error.name}: ${error.message}`);
      assert.match(error.message, /bad%zzname\.gguf": a malformed % escape in its path/);
      return true;
    });
    await assert.rejects(downloadModel(`${origin}/models/big.gguf`, { dir, maxBytes: 1_000_000 }), /is \d+ bytes, more than the 1000000 allowed for a model file; nothing was downloaded/);
    assert.equal(await findDownloadedModel(`${origin}/models/big.gguf`, { dir }), null);
    const keyed = uriCacheDir(`${origin}/models/big.gguf`, dir);
    assert.deepEqual(existsSync(keyed) ? readdirSync(keyed) : [], [], "no partial file is left");
  });

  test("the shared cache: downloads listed with their URI and size, removed by URI or id; nothing outside it", async () => {
    const { listCachedModels, removeCachedModel } = await import("../../../src/core/download/modelCache.ts");
    const dir = tempDir("download");
    const a = `${origin}/list/a.gguf`;
    const b = `${origin}/list/b.gguf`;
    await downloadModel(a, { dir, sha256 });
    await downloadModel(b, { dir });
    const listed = await listCachedModels(dir);
    assert.deepEqual(listed.map((m) => m.uri).sort(), [a, b]);
    for (const m of listed) {
      assert.equal(m.id, path.basename(uriCacheDir(m.uri!, dir)));
      assert.ok(m.bytes >= model.length && !m.partial, `${m.uri}: ${m.bytes} bytes`);
    }
    assert.equal((await removeCachedModel(dir, a))?.uri, a);
    assert.equal((await removeCachedModel(dir, path.basename(uriCacheDir(b, dir))))?.uri, b);
    assert.deepEqual(await listCachedModels(dir), []);
    assert.equal(await findDownloadedModel(a, { dir }), null);
    assert.equal(await removeCachedModel(dir, ".."), null, "only the cache's own folders");
    assert.equal(await removeCachedModel(dir, "../x"), null);
  });

  test("an hf: model already in node-llama-cpp's models folder is used from there (if it is a GGUF with the right SHA-256), not downloaded again", async () => {
    const uri = "hf:someone/tiny-GGUF/tiny.gguf";
    const fetched = await downloadModel(uri, { dir: tempDir("download"), huggingFaceEndpoint: `${origin}/`, nodeLlamaCppDir: null });
    const theirs = tempDir("node-llama-cpp-models");
    const file = path.join(theirs, path.basename(fetched));
    writeFileSync(file, model);
    const dir = tempDir("download");
    assert.equal(await findDownloadedModel(uri, { dir, nodeLlamaCppDir: theirs }), file);
    assert.equal(await findDownloadedModel(uri, { dir, nodeLlamaCppDir: theirs, sha256 }), file);
    assert.equal(await findDownloadedModel(uri, { dir, nodeLlamaCppDir: theirs, sha256: "0".repeat(64) }), null, "another file is not used");
    assert.ok(existsSync(file), "and not deleted: it is node-llama-cpp's");
    assert.equal(await findDownloadedModel(uri, { dir, nodeLlamaCppDir: null }), null);
    writeFileSync(file, junk);
    assert.equal(await findDownloadedModel(uri, { dir, nodeLlamaCppDir: theirs }), null, "not a GGUF model: not used");
  });
});

test("ipull's progress JSON left after a finished file's bytes is cut; any other excess is left for the checks to refuse", async () => {
  // What a progress write that lands after ipull's final cut leaves (its fields: part, chunks, chunkSize, parallelStreams).
  const model = Buffer.from(buildTinyLlama({ name: "tail", embeddingLength: 32, blockCount: 1, headCount: 2, feedForwardLength: 64, seed: 3 }).toBytes());
  const dir = tempDir("download-tail");
  const progress = JSON.stringify({ part: 0, chunks: [2, 2, 2, 2, 2], chunkSize: 5242880, parallelStreams: 3 });
  const withProgress = path.join(dir, "progress.gguf");
  writeFileSync(withProgress, Buffer.concat([model, Buffer.from(progress)]));
  assert.equal(await cutDownloaderProgressTail(withProgress, model.length), true);
  assert.deepEqual(readFileSync(withProgress), model);
  // Whole already, other bytes after it, JSON of another shape, and a file short of its size: left as they are.
  const cases: [string, Buffer][] = [
    ["whole", model],
    ["bytes", Buffer.concat([model, Buffer.from("garbage that is not JSON")])],
    ["json", Buffer.concat([model, Buffer.from(JSON.stringify({ something: "else" }))])],
    ["short", model.subarray(0, model.length - 10)],
  ];
  for (const [name, bytes] of cases) {
    const file = path.join(dir, `${name}.gguf`);
    writeFileSync(file, bytes);
    assert.equal(await cutDownloaderProgressTail(file, model.length), false, name);
    assert.deepEqual(readFileSync(file), bytes, name);
  }
});

test("the starter set: a ~1B router, two candidates with prices, an embedding model, sizes; its configuration names them by URI", async () => {
  const { starterConfigJson, starterSet } = await import("../../../src/core/download/starterSet.ts");
  const set = starterSet();
  assert.deepEqual(set.map((m) => m.role), ["router", "candidate", "candidate", "embedding"]);
  assert.ok(set.every((m) => m.uri.startsWith("hf:") && m.uri.endsWith(".gguf") && m.approxBytes > 1e8));
  const router = set[0];
  assert.ok(router.approxBytes < 1.2e9, "a ~1B router at 4 bits is under a gigabyte or so");
  const [cheap, dear] = set.filter((m) => m.role === "candidate");
  assert.ok(cheap.price!.input < dear.price!.input && cheap.approxBytes < dear.approxBytes);
  const config = parseHapsConfig(starterConfigJson(set), "starter", "/anywhere");
  assert.deepEqual(configModelUris(config).map((u) => [u.field, u.uri]), [
    ["router.model", router.uri],
    ["candidates[0].model", cheap.uri],
    ["candidates[1].model", dear.uri],
    ["embeddingModel", set[3].uri],
  ]);
  // The pinned checksums reach the configuration, so that a download (or a cached file) that differs is refused.
  assert.deepEqual(configModelUris(config).map((u) => u.sha256), [router.sha256, cheap.sha256, dear.sha256, set[3].sha256]);
  assert.ok(set.every((m) => /^[0-9a-f]{64}$/.test(m.sha256 ?? "")), "every starter file pinned");
});

test("the model cache folder: $HAPS_MODELS_DIR, else <cache>/models, else $HAPS_CACHE_DIR/models, else the user's cache", async () => {
  const { modelCacheDir, userModelCacheDir } = await import("../../../src/core/download/modelCache.ts");
  const saved = { models: process.env.HAPS_MODELS_DIR, cache: process.env.HAPS_CACHE_DIR };
  try {
    delete process.env.HAPS_MODELS_DIR;
    delete process.env.HAPS_CACHE_DIR;
    assert.equal(modelCacheDir(), userModelCacheDir());
    assert.match(userModelCacheDir(), /haps[\\/]models$/);
    assert.equal(modelCacheDir("/c"), path.join("/c", "models"));
    process.env.HAPS_CACHE_DIR = "/env-cache";
    assert.equal(modelCacheDir(), path.join("/env-cache", "models"));
    process.env.HAPS_MODELS_DIR = "/shared";
    assert.equal(modelCacheDir("/c"), "/shared");
  } finally {
    for (const [key, value] of [["HAPS_MODELS_DIR", saved.models], ["HAPS_CACHE_DIR", saved.cache]] as const) {
      if (value == null) delete process.env[key];
      else process.env[key] = value;
    }
  }
});
