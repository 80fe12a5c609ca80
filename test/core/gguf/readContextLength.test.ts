// The extension host's header read (configModelLimits): the context length of real and generated models, the same
// as the full header parse; crafted headers refused with what is wrong, without building their values.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readContextLength } from "../../../src/core/gguf/readContextLength.ts";
import { MAX_HEADER_BYTES, readModelShape } from "../../../src/core/gguf/readModelShape.ts";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";

const SHARED = ["/work/shared/models/stories260K.gguf", "/work/shared/models/llama-2-tiny-random.gguf"];
const dir = mkdtempSync(join(tmpdir(), "haps-context-length-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

const u32 = (n: number) => Buffer.from(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => Buffer.from(new BigUint64Array([n]).buffer);
const str = (s: string) => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);
/** A GGUF v3 header with these key-value pairs ([key, type, value bytes]) and no tensors. */
const header = (pairs: [string, number, Buffer][], kvCount = BigInt(pairs.length)) =>
  Buffer.concat([Buffer.from("GGUF"), u32(3), u64(0n), u64(kvCount), ...pairs.flatMap(([k, type, value]) => [str(k), u32(type), value])]);
const ARCH: [string, number, Buffer] = ["general.architecture", 8, str("llama")];
const CONTEXT = (n: number): [string, number, Buffer] => ["llama.context_length", 4, u32(n)];

test("readContextLength gives the context length the full header parse gives (generated and real models)", async () => {
  for (const contextLength of [256, 300, 4096]) {
    const path = file(`m-${contextLength}.gguf`, buildTinyLlama({ name: "m", embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 32, contextLength }).toBytes());
    assert.equal(await readContextLength(path), contextLength);
    assert.equal(await readContextLength(path), (await readModelShape(path)).contextLength);
  }
  for (const path of SHARED.filter((p) => existsSync(p))) assert.equal(await readContextLength(path), (await readModelShape(path)).contextLength, path);
  // Arrays of every kind before the key are skipped, not read: strings, numbers, nested arrays.
  const strings = Buffer.concat([u32(8), u64(3n), str("a"), str("bc"), str("")]);
  const numbers = Buffer.concat([u32(6), u64(5n), Buffer.alloc(20)]);
  const nested = Buffer.concat([u32(9), u64(2n), u32(0), u64(3n), Buffer.alloc(3), u32(8), u64(1n), str("x")]);
  assert.equal(await readContextLength(file("arrays.gguf", header([["a", 9, strings], ["b", 9, numbers], ["c", 9, nested], ["llama.context_length", 10, u64(512n)], ARCH]))), 512);
});

test("readContextLength refuses crafted and broken headers, saying what is wrong", async () => {
  const cases: [string, Uint8Array | string, RegExp][] = [
    ["text.gguf", "plain text, not a model", /"[^"]*text\.gguf" \(23 bytes\): not a GGUF file \(no GGUF magic number\)/],
    ["empty.gguf", "", /\(0 bytes\): the header runs past the end of the file \(0 bytes\)/],
    // A million-element array in a 60-byte file: refused at its length, nothing allocated for it.
    ["array.gguf", header([["a", 9, Buffer.concat([u32(4), u64(1_000_000n)])], ARCH, CONTEXT(512)]), /the header runs past the end of the file \(\d+ bytes\)/],
    ["strings.gguf", header([["a", 9, Buffer.concat([u32(8), u64(1n << 60n), str("x")])]]), /the header runs past the end of the file/],
    ["pairs.gguf", header([], 100_000n), /the header runs past the end of the file \(24 bytes\)/],
    ["key.gguf", Buffer.concat([Buffer.from("GGUF"), u32(3), u64(0n), u64(1n), u64(1n << 40n)]), /a key is 1099511627776 bytes long, over 65536/],
    ["type.gguf", header([["a", 77, Buffer.alloc(8)]]), /unknown value type 77/],
    ["deep.gguf", header([["a", 9, Buffer.concat([u32(9), u64(1n), u32(9), u64(1n), u32(9), u64(1n), u32(9), u64(1n), u32(9), u64(1n), u32(0), u64(0n)])]]), /arrays nested deeper than 4/],
    ["version.gguf", Buffer.concat([Buffer.from("GGUF"), u32(7), Buffer.alloc(16)]), /unsupported GGUF version 7/],
    ["noarch.gguf", header([CONTEXT(512)]), /no general\.architecture/],
    ["nolength.gguf", header([ARCH]), /no llama\.context_length/],
    ["zero.gguf", header([ARCH, CONTEXT(0)]), /llama\.context_length is 0, not a positive integer/],
    ["float.gguf", header([ARCH, ["llama.context_length", 6, u32(0)]]), /llama\.context_length is not an integer \(type 6\)/],
  ];
  for (const [name, bytes, message] of cases) await assert.rejects(readContextLength(file(name, bytes)), message, name);
  await assert.rejects(readContextLength(join(dir, "absent.gguf")), /cannot read ".*absent\.gguf": ENOENT/);
  await assert.rejects(readContextLength(dir), /not a regular file/);
});

test("readContextLength reads at most MAX_HEADER_BYTES, and skips what it does not need without building it", async () => {
  // 33 arrays of 10^6 bytes (over the cap) before the key: refused at the cap.
  const big = (n: number) => Array.from({ length: n }, (_, i): [string, number, Buffer] => [`k${i}`, 9, Buffer.concat([u32(0), u64(1_000_000n), Buffer.alloc(1_000_000, 1)])]);
  await assert.rejects(readContextLength(file("long.gguf", header([...big(34), ARCH, CONTEXT(512)]))), new RegExp(`the header is longer than ${MAX_HEADER_BYTES} bytes \\(32 MiB\\)`));
  // 31 of them (the case that took 811 MiB peak through @huggingface/gguf): read, with the heap barely moving.
  const path = file("arrays31.gguf", header([...big(31), ARCH, CONTEXT(512)]));
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed;
  assert.equal(await readContextLength(path), 512);
  const grown = process.memoryUsage().heapUsed - heap;
  assert.ok(grown < 8 * 1024 * 1024, `heap grew ${(grown / 1024 / 1024).toFixed(1)} MiB reading a 31 MB header`);
});
