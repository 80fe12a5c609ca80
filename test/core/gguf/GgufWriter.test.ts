import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf, GGUFValueType } from "@huggingface/gguf";
import { GgufWriter } from "../../../src/core/gguf/GgufWriter.ts";

function sampleWriter(alignment?: number): GgufWriter {
  const w = new GgufWriter({ alignment });
  w.setKv("general.architecture", { type: "string", value: "llama" })
    .setKv("test.u32", { type: "uint32", value: 4_000_000_000 })
    .setKv("test.i32", { type: "int32", value: -7 })
    .setKv("test.f32", { type: "float32", value: 0.25 })
    .setKv("test.bool", { type: "bool", value: true })
    .setKv("test.u64", { type: "uint64", value: 2n ** 40n })
    .setKv("test.strs", { type: "string[]", value: ["a", "▁héllo", ""] })
    .setKv("test.f32s", { type: "float32[]", value: [1.5, -2] })
    .setKv("test.i32s", { type: "int32[]", value: [3, -4, 5] });
  // Sizes that are not multiples of the alignment, so padding between tensors is exercised.
  w.addTensor({ name: "t.vec", dims: [3], data: Float32Array.from([1, 2, 3]) });
  w.addTensor({ name: "t.mat", dims: [5, 2], data: Float32Array.from({ length: 10 }, (_, i) => i / 10) });
  return w;
}

async function parse(bytes: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), "haps-gguf-"));
  const path = join(dir, "f.gguf");
  try {
    writeFileSync(path, bytes);
    return { ...(await gguf(path, { allowLocalFile: true, typedMetadata: true })), bytes: readFileSync(path) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tensorValues(bytes: Buffer, start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => bytes.readFloatLE(start + 4 * i));
}

for (const alignment of [32, 64]) {
  test(`GgufWriter output parses with @huggingface/gguf (alignment ${alignment})`, async () => {
    const parsed = await parse(sampleWriter(alignment).toBytes());
    const m = parsed.typedMetadata;
    assert.equal(m.version.value, 3);
    assert.equal(m["general.architecture"]?.value, "llama");
    assert.deepEqual(m["test.u32"], { value: 4_000_000_000, type: GGUFValueType.UINT32 });
    assert.deepEqual(m["test.i32"], { value: -7, type: GGUFValueType.INT32 });
    assert.deepEqual(m["test.f32"], { value: 0.25, type: GGUFValueType.FLOAT32 });
    assert.deepEqual(m["test.bool"], { value: true, type: GGUFValueType.BOOL });
    assert.deepEqual(m["test.u64"], { value: 2n ** 40n, type: GGUFValueType.UINT64 });
    assert.deepEqual(m["test.strs"], { value: ["a", "▁héllo", ""], type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING });
    assert.deepEqual(m["test.f32s"], { value: [1.5, -2], type: GGUFValueType.ARRAY, subType: GGUFValueType.FLOAT32 });
    assert.deepEqual(m["test.i32s"], { value: [3, -4, 5], type: GGUFValueType.ARRAY, subType: GGUFValueType.INT32 });
    if (alignment === 32) assert.equal(m["general.alignment"], undefined);
    else assert.equal(m["general.alignment"]?.value, alignment);

    assert.deepEqual(
      parsed.tensorInfos.map((t) => [t.name, t.shape.map(Number), t.dtype]),
      [
        ["t.vec", [3], 0],
        ["t.mat", [5, 2], 0],
      ],
    );
    const dataStart = Number(parsed.tensorDataOffset);
    assert.equal(dataStart % alignment, 0);
    for (const t of parsed.tensorInfos) assert.equal(Number(t.offset) % alignment, 0);
    assert.deepEqual(tensorValues(parsed.bytes, dataStart + Number(parsed.tensorInfos[0].offset), 3), [1, 2, 3]);
    const mat = tensorValues(parsed.bytes, dataStart + Number(parsed.tensorInfos[1].offset), 10);
    assert.deepEqual(mat, Array.from(Float32Array.from({ length: 10 }, (_, i) => i / 10)));
    assert.equal(parsed.bytes.length % alignment, 0);
  });
}

test("GgufWriter: the same calls give the same bytes, a changed value gives different bytes", () => {
  const a = sampleWriter().toBytes();
  const b = sampleWriter().toBytes();
  assert.deepEqual(Buffer.from(a), Buffer.from(b));
  const c = sampleWriter().setKv("extra", { type: "uint32", value: 1 }).toBytes();
  assert.notDeepEqual(Buffer.from(a), Buffer.from(c));
});

test("GgufWriter rejects bad input with errors that name the key or tensor", () => {
  const w = new GgufWriter();
  w.setKv("k", { type: "uint32", value: 1 });
  assert.throws(() => w.setKv("k", { type: "uint32", value: 2 }), /"k" is set twice/);
  assert.throws(() => w.setKv("neg", { type: "uint32", value: -1 }), /"neg" \(uint32\).*-1/);
  assert.throws(() => w.setKv("frac", { type: "int32", value: 1.5 }), /"frac" \(int32\)/);
  assert.throws(() => w.setKv("nan", { type: "float32", value: NaN }), /"nan" \(float32\)/);
  assert.throws(() => w.setKv("arr", { type: "int32[]", value: [1, 2.5] }), /"arr".*index 1/);
  assert.throws(() => w.addTensor({ name: "x", dims: [2, 3], data: new Float32Array(5) }), /"x".*needs 6 values, got 5/);
  assert.throws(() => w.addTensor({ name: "x", dims: [0], data: new Float32Array(0) }), /"x".*invalid dimension 0/);
  assert.throws(() => w.addTensor({ name: "x", dims: [2], data: Float32Array.from([0, Infinity]) }), /"x".*index 1/);
  assert.throws(() => w.addTensor({ name: "n".repeat(64), dims: [1], data: new Float32Array(1) }), /must be 1\.\.63 bytes/);
  w.addTensor({ name: "x", dims: [1], data: new Float32Array(1) });
  assert.throws(() => w.addTensor({ name: "x", dims: [1], data: new Float32Array(1) }), /"x" is added twice/);
  assert.throws(() => new GgufWriter({ alignment: 12 }), /alignment/);
});
