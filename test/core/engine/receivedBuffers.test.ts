// The engine's count of the typed arrays requests bring in (an adapter's A and B), and the collection it triggers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReceivedBuffers, typedArrayBytes } from "../../../src/core/engine/ReceivedBuffers.ts";

const adapterRequest = (floats: number) => ({
  modelPath: "m.gguf",
  prompt: "Once upon a time",
  adapter: { lora: { architecture: "llama", layers: [{ layer: 1, inWidth: 8, outWidth: 8, rank: 8, a: new Float32Array(floats), b: new Float32Array(floats) }] } },
});

test("counts the typed arrays where an adapter's A and B travel, and nothing else", () => {
  assert.equal(typedArrayBytes(adapterRequest(1024), 6), 2 * 1024 * 4);
  assert.equal(typedArrayBytes({ question: "q", context: [{ title: "t", sentences: ["a", "b"] }] }, 6), 0);
  assert.equal(typedArrayBytes({ a: Array.from({ length: 10_000 }, () => 1.5) }, 6), 0, "an adapter sent as plain numbers");
  assert.equal(typedArrayBytes(undefined, 6), 0);
  assert.equal(typedArrayBytes({ deep: { deeper: { deepest: new Uint8Array(10) } } }, 2), 0, "below the depth searched");
});

test("collects once the bytes received pass the limit, then counts again from zero", () => {
  let collections = 0;
  const received = new ReceivedBuffers(() => collections++, 64 * 1024);
  for (let i = 0; i < 7; i++) received.finished(adapterRequest(1024)); // 8 KiB each: 56 KiB
  assert.equal(collections, 0);
  received.finished(adapterRequest(1024)); // 64 KiB
  assert.equal(collections, 1);
  for (let i = 0; i < 7; i++) received.finished(adapterRequest(1024));
  received.finished({ question: "no arrays" });
  assert.equal(collections, 1, "requests without arrays count nothing");
  received.finished(adapterRequest(1024));
  assert.equal(collections, 2);
});
