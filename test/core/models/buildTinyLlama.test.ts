import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gguf } from "@huggingface/gguf";
import { getLlama, LlamaChatSession, LlamaCompletion, type Llama } from "node-llama-cpp";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { SpmVocabulary } from "../../../src/core/models/SpmVocabulary.ts";
import { TINY_CHAT_TEMPLATE } from "../../../src/core/models/chatTemplate.ts";
import type { TensorSlot, TinyLlamaSpec } from "../../../src/core/models/types.ts";

const SPEC: TinyLlamaSpec = { name: "t", embeddingLength: 64, blockCount: 4, headCount: 4, feedForwardLength: 96, seed: 7, contextLength: 256 };

let dir: string;
let llama: Llama;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "haps-models-"));
  llama = await getLlama({ gpu: false, maxThreads: 1 });
});
after(async () => {
  await llama.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, spec: TinyLlamaSpec): string {
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, buildTinyLlama(spec).toBytes());
  return path;
}

/** A tensor's values, read back from the file through @huggingface/gguf's offsets. */
async function readTensor(path: string, bytes: Uint8Array, name: string): Promise<Float32Array> {
  const parsed = await gguf(path, { allowLocalFile: true });
  const info = parsed.tensorInfos.find((t) => t.name === name)!;
  const start = Number(parsed.tensorDataOffset + info.offset);
  const count = info.shape.reduce((p, d) => p * Number(d), 1);
  return new Float32Array(bytes.slice(start, start + 4 * count).buffer);
}

test("the same spec gives the same bytes; another seed gives other weights but the same header", () => {
  const a = buildTinyLlama(SPEC).toBytes();
  assert.deepEqual(Buffer.from(buildTinyLlama(SPEC).toBytes()), Buffer.from(a));
  const b = buildTinyLlama({ ...SPEC, seed: 8 }).toBytes();
  assert.equal(b.length, a.length);
  assert.notDeepEqual(Buffer.from(b), Buffer.from(a));
});

test("the file has llama metadata, an SPM tokenizer, a chat template and llama.cpp's tensor shapes", async () => {
  const path = write("meta", { ...SPEC, headCountKv: 2 });
  const { metadata: m, tensorInfos } = await gguf(path, { allowLocalFile: true });
  const vocab = SpmVocabulary.fromWords();
  const meta = m as Record<string, unknown>;
  assert.equal(meta["general.architecture"], "llama");
  assert.equal(meta["llama.embedding_length"], 64);
  assert.equal(meta["llama.attention.head_count_kv"], 2);
  assert.equal(meta["llama.rope.dimension_count"], 16);
  assert.equal(meta["tokenizer.ggml.model"], "llama");
  assert.deepEqual(meta["tokenizer.ggml.tokens"], vocab.tokens);
  assert.equal(meta["tokenizer.chat_template"], TINY_CHAT_TEMPLATE);
  const shapes = Object.fromEntries(tensorInfos.map((t) => [t.name, t.shape.map(Number)]));
  assert.deepEqual(shapes["token_embd.weight"], [64, vocab.size]);
  assert.deepEqual(shapes["output.weight"], [64, vocab.size]);
  assert.deepEqual(shapes["blk.3.attn_k.weight"], [64, 32]);
  assert.deepEqual(shapes["blk.3.attn_output.weight"], [64, 64]);
  assert.deepEqual(shapes["blk.0.ffn_down.weight"], [96, 64]);
  assert.equal(tensorInfos.length, 3 + 4 * 9);
  assert.ok(tensorInfos.every((t) => t.dtype === 0));
});

test("explicit tensors and the weights callback set values; the other tensors keep their random values", async () => {
  const slots: TensorSlot[] = [];
  const embd = Float32Array.from({ length: 64 * SpmVocabulary.fromWords().size }, (_, i) => (i % 64 === 5 ? 1 : 0));
  const spec: TinyLlamaSpec = {
    ...SPEC,
    tensors: { "token_embd.weight": embd },
    weights: (slot) => {
      slots.push(slot);
      return slot.name === "blk.1.attn_q.weight" ? new Float32Array(64 * 64) : undefined;
    },
  };
  const bytes = buildTinyLlama(spec).toBytes();
  const plainBytes = buildTinyLlama(SPEC).toBytes();
  const path = join(dir, "override.gguf");
  const plainPath = join(dir, "plain.gguf");
  writeFileSync(path, bytes);
  writeFileSync(plainPath, plainBytes);
  assert.deepEqual(await readTensor(path, bytes, "token_embd.weight"), embd);
  assert.ok((await readTensor(path, bytes, "blk.1.attn_q.weight")).every((x) => x === 0));
  assert.deepEqual(await readTensor(path, bytes, "blk.2.attn_q.weight"), await readTensor(plainPath, plainBytes, "blk.2.attn_q.weight"));
  assert.ok(!slots.some((s) => s.name === "token_embd.weight"), "explicit tensors are not offered to the callback");
  const q2 = slots.find((s) => s.name === "blk.2.attn_q.weight")!;
  assert.equal(q2.layer, 2);
  assert.deepEqual(q2.dims, [64, 64]);
  assert.deepEqual(q2.random(), await readTensor(plainPath, plainBytes, "blk.2.attn_q.weight"));
});

test("bad specs fail with errors that say what is wrong", () => {
  assert.throws(() => buildTinyLlama({ ...SPEC, embeddingLength: 60, headCount: 8 }), /not a multiple of headCount/);
  assert.throws(() => buildTinyLlama({ ...SPEC, headCountKv: 3 }), /headCountKv 3 must divide headCount 4/);
  assert.throws(() => buildTinyLlama({ ...SPEC, blockCount: 0 }), /blockCount must be a positive integer/);
  assert.throws(() => buildTinyLlama({ ...SPEC, tensors: { "blk.9.attn_q.weight": new Float32Array(1) } }), /"blk\.9\.attn_q\.weight" is not a tensor/);
  assert.throws(() => buildTinyLlama({ ...SPEC, tensors: { "output_norm.weight": new Float32Array(3) } }), /"output_norm\.weight" \[64\] needs a Float32Array of 64 values, got 3 values/);
});

test("llama.cpp loads a generated model, tokenizes words whole, and generates varied text", async () => {
  const vocab = SpmVocabulary.fromWords();
  const model = await llama.loadModel({ modelPath: write("talk", SPEC) });
  try {
    const ids = model.tokenize("the number of people").map(Number);
    assert.deepEqual(ids, ["the", "number", "of", "people"].map((w) => vocab.wordId(w)));
    const context = await model.createContext({ threads: 1, contextSize: 256 });
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const distinct = new Set<number>();
    await completion.generateCompletion("Once upon a time", {
      maxTokens: 24,
      temperature: 0,
      onToken: (tokens) => tokens.forEach((t) => distinct.add(Number(t))),
    });
    assert.ok(distinct.size > 3, `only ${distinct.size} distinct tokens in greedy output`);
  } finally {
    await model.dispose();
  }
});

test("node-llama-cpp renders the chat template and a chat session answers", async () => {
  const model = await llama.loadModel({ modelPath: write("chat", SPEC) });
  try {
    const context = await model.createContext({ threads: 1, contextSize: 256 });
    const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: "Be brief." });
    const answer = await session.prompt("What is the answer?", { maxTokens: 8, temperature: 0 });
    assert.ok(answer.length > 0);
    const rendered = session.chatWrapper.generateContextState({ chatHistory: session.getChatHistory() }).contextText.toString();
    assert.ok(rendered.startsWith("System: Be brief.\nUser: What is the answer?\nAssistant:"), rendered);
  } finally {
    await model.dispose();
  }
});

test("weights set on purpose control what llama.cpp predicts", async () => {
  // An output head that only reads hidden dimension 0 into the "yes" logit, and embeddings that put every token's
  // dimension 0 at +1: whatever the prompt, greedy decoding must say "yes". A random head would not.
  const vocab = SpmVocabulary.fromWords();
  const yes = vocab.wordId("yes");
  const head = new Float32Array(64 * vocab.size);
  head[yes * 64] = 50;
  const path = write("skill", {
    ...SPEC,
    weights: (slot) => {
      if (slot.name === "output.weight") return head;
      if (slot.name === "token_embd.weight") return Float32Array.from({ length: 64 * vocab.size }, (_, i) => (i % 64 === 0 ? 1 : 0));
      // Blocks that write nothing leave the residual stream equal to the embedding.
      if (slot.name.endsWith("attn_output.weight") || slot.name.endsWith("ffn_down.weight")) return new Float32Array(slot.dims[0] * slot.dims[1]);
      return undefined;
    },
  });
  const model = await llama.loadModel({ modelPath: path });
  try {
    const context = await model.createContext({ threads: 1, contextSize: 256 });
    const text = await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion("Is it a cat", { maxTokens: 3, temperature: 0 });
    assert.equal(text.trimStart(), "yes yes yes");
  } finally {
    await model.dispose();
  }
});
