import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getLlama } from "node-llama-cpp";
import { DEFAULT_MODEL_SPECS, defaultCacheDir, ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "haps-default-"));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test("ensureDefaultModels writes a router and candidates of different widths, once", async () => {
  const dir = scratch();
  const started = performance.now();
  const models = await ensureDefaultModels(dir);
  const ms = performance.now() - started;
  assert.ok(ms < 5000, `generation took ${ms} ms`);
  const all = [models.router, ...models.candidates];
  assert.equal(new Set(all.map((m) => m.id)).size, all.length);
  for (const m of all) assert.ok(existsSync(m.path) && m.path.startsWith(dir), m.path);

  const shapes = await Promise.all(models.candidates.map((m) => readModelShape(m.path)));
  assert.ok(models.candidates.length >= 2);
  assert.ok(new Set(shapes.map((s) => s.embeddingLength)).size >= 2, "candidates have different widths");
  for (const s of shapes) assert.ok(s.blockCount >= 4 && s.oProj.length === s.blockCount);

  const mtimes = all.map((m) => statSync(m.path).mtimeMs);
  const again = await ensureDefaultModels(dir);
  assert.deepEqual(again, models);
  assert.deepEqual(all.map((m) => statSync(m.path).mtimeMs), mtimes, "existing files are not rewritten");
});

test("ensureDefaultModels replaces a stale version and regenerates deleted files", async () => {
  const dir = scratch();
  const stale = join(dir, `${DEFAULT_MODEL_SPECS.router.name}-000000000000.gguf`);
  writeFileSync(stale, "old");
  const models = await ensureDefaultModels(dir);
  assert.ok(!existsSync(stale), "the old version is removed");
  rmSync(models.candidates[1].path);
  const again = await ensureDefaultModels(dir);
  assert.ok(existsSync(again.candidates[1].path));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".gguf")).length, 3);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")));
});

test("the router model gives embeddings and JSON answers in llama.cpp", async () => {
  const models = await ensureDefaultModels(scratch());
  const llama = await getLlama({ gpu: false, maxThreads: 1 });
  const model = await llama.loadModel({ modelPath: models.router.path });
  try {
    const embedder = await model.createEmbeddingContext({ threads: 1, contextSize: 256 });
    const a = await embedder.getEmbeddingFor("write a sorting function");
    const b = await embedder.getEmbeddingFor("what is the capital city");
    assert.equal(a.vector.length, DEFAULT_MODEL_SPECS.router.embeddingLength);
    assert.ok(a.vector.some((x, i) => Math.abs(x - b.vector[i]) > 1e-3), "different prompts, different embeddings");
    await embedder.dispose();

    const grammar = await llama.createGrammarForJsonSchema({
      type: "object",
      properties: { agent: { enum: ["student", "teacher"] } },
      required: ["agent"],
    } as const);
    const context = await model.createContext({ threads: 1, contextSize: 256 });
    const { LlamaCompletion } = await import("node-llama-cpp");
    const text = await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion("Pick an agent:", { grammar, maxTokens: 40 });
    assert.ok(["student", "teacher"].includes(grammar.parse(text).agent), text);
  } finally {
    await model.dispose();
    await llama.dispose();
  }
});

test("every default candidate generates varied text in llama.cpp", async () => {
  const models = await ensureDefaultModels(scratch());
  const llama = await getLlama({ gpu: false, maxThreads: 1 });
  const { LlamaCompletion } = await import("node-llama-cpp");
  try {
    for (const ref of models.candidates) {
      const model = await llama.loadModel({ modelPath: ref.path });
      const context = await model.createContext({ threads: 1, contextSize: 256 });
      const distinct = new Set<number>();
      await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion("Write a function that", {
        maxTokens: 24,
        temperature: 0,
        onToken: (tokens) => tokens.forEach((t) => distinct.add(Number(t))),
      });
      await model.dispose();
      assert.ok(distinct.size > 3, `${ref.id}: only ${distinct.size} distinct tokens in greedy output`);
    }
  } finally {
    await llama.dispose();
  }
});

test("defaultCacheDir follows HAPS_CACHE_DIR, else the repository's .cache/haps", () => {
  const saved = process.env.HAPS_CACHE_DIR;
  try {
    process.env.HAPS_CACHE_DIR = "some/where";
    assert.equal(defaultCacheDir(), resolve("some/where"));
    delete process.env.HAPS_CACHE_DIR;
    assert.equal(defaultCacheDir(), resolve(import.meta.dirname, "../../../.cache/haps"));
  } finally {
    if (saved === undefined) delete process.env.HAPS_CACHE_DIR;
    else process.env.HAPS_CACHE_DIR = saved;
  }
});
