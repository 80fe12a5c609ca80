// What the adapter lock guards since it was narrowed (LoadedModel's file comment): context creation and the one decode
// after each adapter change on a context, when llama.cpp rebuilds the graph reservation that reads the model's adapter
// set. Other decodes run unlocked, so an adapter load waits for at most one decode of another caller, never for its
// whole generation; contexts of one thread each decode side by side (node-llama-cpp's thread cap is the core count).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import type { LoraAdapter } from "../../../src/core/adapters/types.ts";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import { LlamaRuntime, threadBudget } from "../../../src/core/runtime/LlamaRuntime.ts";
import { attachLora, detachLoras, guardReservingDecodes, loadLora, freeLora, reservationDue } from "../../../src/core/runtime/loraSwap.ts";
import { encodeLoraAdapter } from "../../../src/core/adapters/writeLoraAdapter.ts";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { tempDir } from "./helpers.ts";

describe("the adapter lock guards reservations only", () => {
  let runtime: LlamaRuntime;
  let modelPath: string;
  let adapter: () => LoraAdapter;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    modelPath = (await ensureDefaultModels(tempDir("models"))).candidates[0].path;
    const shape = (await readModelShape(modelPath)).oProj.at(-1)!;
    const rng = new Rng(5);
    adapter = () => ({ architecture: "llama", layers: [{ ...shape, rank: 4, a: rng.fillNormal(new Float32Array(shape.inWidth * 4), 0.1), b: rng.fillNormal(new Float32Array(4 * shape.outWidth), 0.1) }] });
  });
  after(async () => {
    await runtime.dispose();
  });

  test("only the first decode after an adapter change goes through the guard", async () => {
    const { model } = await runtime.loadModel(modelPath);
    const context = await model.createContext({ contextSize: 256, sequences: 1, threads: 1, batchSize: 4 });
    const file = path.join(tempDir("guard"), "a.gguf");
    await writeFile(file, encodeLoraAdapter(adapter()));
    const lora = await loadLora(model, file);
    try {
      // Every decode is counted first; the guard sees those it routes through the lock.
      let decodes = 0;
      const native = (context as unknown as { _ctx: { decodeBatch(): Promise<void> } })._ctx;
      const decodeBatch = native.decodeBatch.bind(native);
      Object.defineProperty(native, "decodeBatch", { configurable: true, value: () => (decodes++, decodeBatch()) });
      let guarded = 0;
      guardReservingDecodes(context, async (decode) => {
        guarded++;
        await decode();
      });
      const sequence = context.getSequence();
      const tokens = runtime.tokenizeWithBos(model, "the sky is blue and the sea is green");
      const evaluate = async () => {
        await sequence.clearHistory();
        const before = decodes;
        await sequence.controlledEvaluate(tokens);
        return decodes - before;
      };
      assert.equal(reservationDue(context), false, "a fresh context has reserved at creation");
      assert.ok((await evaluate()) >= 3, "the prompt spans several 4-token batches");
      assert.equal(guarded, 0, "no adapter change: nothing guarded");
      attachLora(context, lora, 1);
      assert.equal(reservationDue(context), true);
      assert.ok((await evaluate()) >= 3);
      assert.equal(guarded, 1, "one guarded decode among the prompt's batches after attaching");
      assert.equal(reservationDue(context), false);
      await evaluate();
      assert.equal(guarded, 1, "the same adapter still attached: nothing guarded");
      detachLoras(context);
      await evaluate();
      assert.equal(guarded, 2, "detaching is a change too");
    } finally {
      detachLoras(context);
      await freeLora(lora);
      await context.dispose();
    }
  });

  test("an adapter load waits for no other caller's generation to end", async () => {
    const events: string[] = [];
    let firstText!: () => void;
    const started = new Promise<void>((resolve) => (firstText = resolve));
    // A long generation with its own per-query adapter (its first decode reserves under the lock).
    const generation = runtime
      .generate(
        { modelPath, prompt: "Once upon a time there was a little", maxTokens: 60, adapter: { lora: adapter(), scale: 1 } },
        { onText: () => firstText() },
      )
      .then((r) => events.push(`generation ended (${r.outputTokens} tokens)`));
    await started;
    // Loading another adapter (a session's) while that generation decodes token after token.
    const session = await runtime.openSession(modelPath, { lora: adapter(), scale: 1 });
    events.push("adapter loaded");
    await generation;
    await session.close();
    assert.equal(events[0], "adapter loaded", `the load waited for the whole generation: ${events.join(", ")}`);
    assert.match(events[1], /generation ended \((\d+) tokens\)/);
    assert.ok(Number(/\((\d+) tokens/.exec(events[1])![1]) > 10, "the generation was long enough for the order to mean something");
  });

  test("contexts decode side by side up to the core count (twice it with one thread each), and on the CPU in batches of 64 tokens", async () => {
    const cores = os.availableParallelism();
    assert.equal(threadBudget(1), 2 * cores, "one-thread contexts: twice the cores");
    assert.equal(threadBudget(2), Math.max(2, cores), "contexts with several threads: the cores");
    assert.equal(threadBudget(64), 64, "one context's threads always fit");
    assert.equal(runtime.llama.maxThreads, threadBudget(1));
    const lease = await runtime.withAdapter(modelPath, null, async ({ context }) => context.batchSize);
    assert.equal(lease, 64);
  });
});
