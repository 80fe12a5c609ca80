// Generation sessions (an agent's turns in one episode): a call evaluates only what its prompt does not share with the
// session's previous call, gives what a fresh generation gives, keeps its adapter, and loses nothing but speed when
// another caller took its context meanwhile.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";
import { Rng } from "../../../src/core/nn/Rng.ts";
import type { LoraAdapter } from "../../../src/core/adapters/types.ts";
import { tempDir } from "./helpers.ts";

describe("generation sessions", () => {
  let runtime: LlamaRuntime;
  let modelPath: string;
  let strong: LoraAdapter;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    modelPath = (await ensureDefaultModels(tempDir("models"))).candidates[0].path;
    const shape = (await readModelShape(modelPath)).oProj.at(-1)!;
    const rng = new Rng(4);
    strong = { architecture: "llama", layers: [{ ...shape, rank: 8, a: rng.fillNormal(new Float32Array(shape.inWidth * 8), 1), b: rng.fillNormal(new Float32Array(8 * shape.outWidth), 3) }] };
  });
  after(async () => {
    await runtime.dispose();
  });

  const system = "You answer questions about the world in a few words. ".repeat(6);
  const turn = (n: number) => ({ chat: [{ role: "system" as const, content: system }, { role: "user" as const, content: `Question ${n}: what is the colour of the sky and the sea?` }], maxTokens: 12 });

  for (const withAdapter of [false, true]) {
    test(`later turns reuse the shared prefix and generate exactly what a fresh call does (${withAdapter ? "with" : "without"} an adapter)`, async () => {
      const adapter = withAdapter ? { lora: strong, scale: 1 } : null;
      const session = await runtime.openSession(modelPath, adapter);
      try {
        for (let n = 1; n <= 3; n++) {
          const cached = await session.generate({ modelPath, ...turn(n) });
          const fresh = await runtime.generate({ modelPath, ...turn(n), ...(adapter ? { adapter } : {}) });
          assert.equal(cached.text, fresh.text, `turn ${n}`);
          assert.equal(cached.promptTokens, fresh.promptTokens);
          assert.equal(fresh.cachedTokens, 0);
          if (n === 1) assert.equal(cached.cachedTokens, 0);
          else assert.ok(cached.cachedTokens > cached.promptTokens / 2, `turn ${n}: ${cached.cachedTokens} of ${cached.promptTokens} prompt tokens cached`);
        }
        if (withAdapter) {
          const base = await runtime.generate({ modelPath, ...turn(1) });
          const adapted = await session.generate({ modelPath, ...turn(1) });
          assert.notEqual(adapted.text, base.text, "the session's adapter is attached");
        }
      } finally {
        await session.close();
      }
    });
  }

  test("a session whose context was taken by other callers starts over there, with the same output", async () => {
    const session = await runtime.openSession(modelPath, null);
    try {
      const first = await session.generate({ modelPath, ...turn(1) });
      // Busy every context with other calls at once: the session's context is taken and cleared by one of them.
      await Promise.all(Array.from({ length: 6 }, (_, i) => runtime.generate({ modelPath, prompt: `other caller ${i}`, maxTokens: 4 })));
      const again = await session.generate({ modelPath, ...turn(2) });
      const fresh = await runtime.generate({ modelPath, ...turn(2) });
      assert.equal(again.text, fresh.text);
      assert.ok(first.promptTokens > 0 && again.cachedTokens >= 0);
      await assert.rejects(session.generate({ modelPath, ...turn(2), adapter: { lora: strong } }), /brings its own adapter/);
    } finally {
      await session.close();
    }
    await assert.rejects(session.generate({ modelPath, ...turn(3) }), /closed/);
  });
});
