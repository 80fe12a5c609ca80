import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { SpmVocabulary } from "../../../src/core/models/SpmVocabulary.ts";

const STORIES = "/work/shared/models/stories260K.gguf";
const dir = mkdtempSync(join(tmpdir(), "haps-shape-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("readModelShape reads a generated model's widths and each o_proj", async () => {
  const path = join(dir, "m.gguf");
  writeFileSync(path, buildTinyLlama({ name: "shape-test", embeddingLength: 96, blockCount: 5, headCount: 6, headCountKv: 3, feedForwardLength: 40, contextLength: 300 }).toBytes());
  const shape = await readModelShape(path);
  assert.deepEqual(shape, {
    architecture: "llama",
    name: "shape-test",
    blockCount: 5,
    embeddingLength: 96,
    headCount: 6,
    headCountKv: 3,
    contextLength: 300,
    vocabSize: SpmVocabulary.fromWords().size,
    feedForwardLength: 40,
    oProj: [0, 1, 2, 3, 4].map((layer) => ({ layer, inWidth: 96, outWidth: 96 })),
  });
});

test("readModelShape reads stories260K, a model trained elsewhere", { skip: !existsSync(STORIES) && "no shared models" }, async () => {
  const shape = await readModelShape(STORIES);
  assert.equal(shape.embeddingLength, 64);
  assert.equal(shape.blockCount, 5);
  assert.equal(shape.headCount, 8);
  assert.equal(shape.headCountKv, 4);
  assert.equal(shape.vocabSize, 512);
  assert.deepEqual(shape.oProj.map((o) => [o.layer, o.inWidth, o.outWidth]), [0, 1, 2, 3, 4].map((l) => [l, 64, 64]));
});

test("readModelShape explains missing, foreign and truncated files", async () => {
  const full = buildTinyLlama({ name: "t", embeddingLength: 64, blockCount: 4, headCount: 4, feedForwardLength: 32 }).toBytes();
  const file = (name: string, bytes: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  await assert.rejects(readModelShape(join(dir, "absent.gguf")), /cannot read ".*absent\.gguf": ENOENT/);
  await assert.rejects(readModelShape(dir), /not a regular file/);
  await assert.rejects(readModelShape(file("text.gguf", "plain text, not a model")), /"[^"]*text\.gguf" is not a readable GGUF file.*magic/);
  await assert.rejects(readModelShape(file("empty.gguf", "")), /not a readable GGUF file \(0 bytes\)/);
  await assert.rejects(readModelShape(file("header.gguf", full.subarray(0, 64))), /"[^"]*header\.gguf": truncated: tensor data should start at byte \d+ but the file has 64/);
  await assert.rejects(readModelShape(file("cut.gguf", full.subarray(0, full.length - 100))), /truncated: tensor "blk\.3\.ffn_up\.weight" ends at byte \d+ but the file has \d+/);
  assert.equal((await readModelShape(file("whole.gguf", full))).blockCount, 4);
});
