import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { MAX_HEADER_BYTES, readModelShape } from "../../../src/core/gguf/readModelShape.ts";
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
  // Cut inside the header: refused by its counts, or where the tensor data should start.
  await assert.rejects(readModelShape(file("header.gguf", full.subarray(0, 64))), /"[^"]*header\.gguf" is not a readable GGUF file \(64 bytes\): the header claims \d+ tensors and \d+ key-value pairs, which take at least \d+ bytes, but the file has 64/);
  const headerEnd = Number((await gguf(file("probe.gguf", full), { allowLocalFile: true })).tensorDataOffset);
  await assert.rejects(readModelShape(file("half.gguf", full.subarray(0, headerEnd >> 1))), /"[^"]*half\.gguf": truncated: tensor data should start at byte \d+ but the file has \d+/);
  await assert.rejects(readModelShape(file("cut.gguf", full.subarray(0, full.length - 100))), /truncated: tensor "blk\.3\.ffn_up\.weight" ends at byte \d+ but the file has \d+/);
  assert.equal((await readModelShape(file("whole.gguf", full))).blockCount, 4);
});

/** A GGUF v3 header: counts, then key-value pairs given as [key, type, value bytes]. */
function header(tensors: bigint, pairs: [string, number, Buffer][], kvCount = BigInt(pairs.length)): Buffer {
  const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer);
  const u64 = (n: bigint) => Buffer.from(new BigUint64Array([n]).buffer);
  const str = (s: string) => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);
  return Buffer.concat([Buffer.from("GGUF"), u32(3), u64(tensors), u64(kvCount), ...pairs.flatMap(([k, type, value]) => [str(k), u32(type), value])]);
}

// The extension host reads the headers of the models a configuration names (configModelLimits), and a workspace may
// choose that configuration: a crafted header must be refused before it makes the parser allocate or loop.
test("readModelShape refuses crafted headers before they allocate: counts that cannot fit, values past the end, over MAX_HEADER_BYTES", async () => {
  const file = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  // 24 bytes claiming 10^7 tensors (the library read on as zeros: ~370 MiB and tens of seconds, then a RangeError).
  await assert.rejects(
    readModelShape(file("tensors.gguf", header(10_000_000n, []))),
    /"[^"]*tensors\.gguf" is not a readable GGUF file \(24 bytes\): the header claims 10000000 tensors and 0 key-value pairs, which take at least 240000024 bytes, but the file has 24/,
  );
  await assert.rejects(readModelShape(file("pairs.gguf", header(0n, [], 100_000n))), /the header claims 0 tensors and 100000 key-value pairs, which take at least 1300024 bytes, but the file has 24/);
  // One array claiming a million UINT32 elements (4 MB) in a 76-byte file: the library filled it with zeros and parsed
  // on; now the read stops at the end of the file's last 2 MB chunk.
  const array = Buffer.concat([Buffer.from(new Uint32Array([4]).buffer), Buffer.from(new BigUint64Array([1_000_000n]).buffer), Buffer.alloc(8)]);
  await assert.rejects(readModelShape(file("array.gguf", header(0n, [["general.architecture", 9, array]]))), /"[^"]*array\.gguf" is not a readable GGUF file \(\d+ bytes\): the header runs past the end of the file/);
  // 90 strings of 400 kB: a well-formed header longer than MAX_HEADER_BYTES (the library's own limit is 50 MB).
  const long = (i: number) => [`general.note${i}`, 8, Buffer.concat([Buffer.from(new BigUint64Array([400_000n]).buffer), Buffer.alloc(400_000, 0x61)])] as [string, number, Buffer];
  const big = header(0n, Array.from({ length: 90 }, (_, i) => long(i)));
  assert.ok(big.length > MAX_HEADER_BYTES);
  await assert.rejects(readModelShape(file("long.gguf", big)), new RegExp(`the header is longer than ${MAX_HEADER_BYTES} bytes \\(32 MiB\\)`));
  // A string that runs past what was read: named, not the library's DataView message alone.
  const cutString = Buffer.concat([Buffer.from(new BigUint64Array([9_000_000n]).buffer), Buffer.alloc(3_000_000, 0x61)]);
  await assert.rejects(readModelShape(file("string.gguf", header(0n, [["general.name", 8, cutString], ["general.architecture", 8, cutString]]))), /the header runs past the end of the file|a value runs past the bytes read \(.*\): the header is cut short or malformed/);
});
