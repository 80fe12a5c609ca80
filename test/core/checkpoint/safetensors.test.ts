import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors } from "../../../src/core/checkpoint/safetensors.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";

/** Builds a file by the format's definition, without our writer (no padding, so data starts unaligned). */
function handBuilt(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

test("encode then decode returns the same tensors, shapes and metadata, with an 8-byte aligned data section", () => {
  const rng = new Rng(1);
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [
    ["head.readout.weight", { shape: [3, 5], data: rng.fillNormal(new Float32Array(15)) }],
    ["b", { shape: [7], data: rng.fillNormal(new Float32Array(7)) }],
    ["scalar", { shape: [], data: Float32Array.of(-0) }],
  ];
  const bytes = encodeSafetensors(tensors, { format: "test" });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: "test" });
  assert.deepEqual([...back.tensors.keys()], tensors.map(([n]) => n));
  for (const [name, t] of tensors) {
    assert.deepEqual(back.tensors.get(name)!.shape, t.shape);
    assert.deepEqual(new Uint8Array(back.tensors.get(name)!.data.buffer), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
});

test("decode reads a file written by the format's definition, unaligned data included", () => {
  const bytes = handBuilt(
    { x: { dtype: "F32", shape: [2, 2], data_offsets: [4, 20] }, y: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, __metadata__: { k: "v" } },
    f32Bytes([9.5, 1, 2, 3, 4]),
  );
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual([...tensors.get("x")!.data], [1, 2, 3, 4]);
  assert.deepEqual([...tensors.get("y")!.data], [9.5]);
  assert.deepEqual(metadata, { k: "v" });
});

test("decode refuses damaged files and says which tensor is wrong", () => {
  const ok = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const data = f32Bytes([1, 2]);
  assert.throws(() => decodeSafetensors(new Uint8Array(5), "w.st"), /w\.st: too short/);
  const full = handBuilt(ok, data);
  assert.throws(() => decodeSafetensors(full.subarray(0, 12), "w.st"), /header length \d+ exceeds the file/);
  assert.throws(() => decodeSafetensors(handBuilt(ok, data.subarray(0, 4))), /tensor "x": data_offsets \[0, 8\] fall outside the 4-byte data section/);
  assert.throws(() => decodeSafetensors(handBuilt({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, data)), /tensor "x": 8 bytes of data, but F32 of shape \[3\] needs 12/);
  assert.throws(() => decodeSafetensors(handBuilt({ x: { dtype: "F16", shape: [4], data_offsets: [0, 8] } }, data)), /tensor "x": dtype F16 is not supported/);
  assert.throws(() => decodeSafetensors(handBuilt({ x: { dtype: "Q4", shape: [4], data_offsets: [0, 8] } }, data)), /unknown dtype "Q4"/);
  assert.throws(
    () => decodeSafetensors(handBuilt({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, y: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, data)),
    /tensors "x" and "y" overlap/,
  );
  const garbage = handBuilt(ok, data);
  garbage[9] = 0x7b; // break the JSON
  garbage[10] = 0x7b;
  assert.throws(() => decodeSafetensors(garbage), /header is not valid JSON/);
  assert.throws(() => encodeSafetensors([["x", { shape: [3], data: new Float32Array(2) }]]), /tensor "x" has 2 values, shape \[3\] needs 3/);
});
