// Disposing the runtime while calls are in flight: the contexts are freed only after every call has ended, running
// generations stop early with what they wrote, queued calls are refused with a clear error, and nothing rejects after
// its caller has gone (freeing a context under a running decode gave an "Object is disposed" unhandled rejection).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LlamaRuntime, RuntimeDisposedError } from "../../../src/core/runtime/LlamaRuntime.ts";
import { DEFAULT_MAX_CONTEXTS, ModelDisposedError } from "../../../src/core/runtime/LoadedModel.ts";
import { skipWithoutSharedModels, stories260K } from "./helpers.ts";

describe("LlamaRuntime.dispose with calls in flight", { skip: skipWithoutSharedModels }, () => {
  test("running generations end with their text, a queued one is refused, no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
      await runtime.loadModel(stories260K);
      // Every context busy with a long generation, and one more request waiting for a context.
      let wrote!: () => void;
      const firstText = new Promise<void>((resolve) => (wrote = resolve));
      const busy = Array.from({ length: DEFAULT_MAX_CONTEXTS }, () =>
        runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 400 }, { onText: () => wrote() }),
      );
      const busyOutcomes = Promise.allSettled(busy);
      const queued = runtime.generate({ modelPath: stories260K, prompt: "Hello", maxTokens: 4 });
      const queuedOutcome = queued.then(
        () => "resolved",
        (error: Error) => error,
      );
      // A router pass in flight on the router's own sequence, too.
      const routing = runtime.routingChoiceProbabilities(stories260K, "Once upon a time there was a ", ["cat", "dog", "bird"]);
      await firstText;
      await runtime.dispose();

      // A generation that was writing stops early with its text; one whose context was still being created when the
      // dispose began is refused before it evaluates anything.
      let stoppedWithText = 0;
      for (const outcome of await busyOutcomes) {
        if (outcome.status === "rejected") {
          assert.ok(outcome.reason instanceof ModelDisposedError, `a busy request failed otherwise: ${String(outcome.reason)}`);
          continue;
        }
        const result = outcome.value;
        assert.equal(result.stopReason, "abort", "a generation under the dispose stopped early");
        assert.ok(result.outputTokens < 400, `it stopped after ${result.outputTokens} tokens`);
        if (result.outputTokens > 0 && result.text.length > 0) stoppedWithText++;
      }
      assert.ok(stoppedWithText >= 1, "the generation that had written text kept it");
      const refused = await queuedOutcome;
      assert.ok(refused instanceof ModelDisposedError, `the queued request was refused with a clear error (got ${String(refused)})`);
      assert.match(refused.message, /being disposed/);
      const probabilities = await routing;
      assert.equal(probabilities.length, 3);
      assert.ok(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-6, "the router pass under way finished normally");

      // Anything freed under a running decode would reject a moment later.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(unhandled.map(String), []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("a call that starts after the dispose began is refused, and a second dispose waits for the first", async () => {
    const runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    try {
      const model = await runtime.loadModel(stories260K);
      let wrote!: () => void;
      const started = new Promise<void>((resolve) => (wrote = resolve));
      const running = runtime.generate({ modelPath: stories260K, prompt: "Once upon a time", maxTokens: 400 }, { onText: () => wrote() });
      await started;
      const first = model.dispose();
      await assert.rejects(model.withContext(null, async () => "ran"), ModelDisposedError);
      await assert.rejects(model.openSession(null), ModelDisposedError);
      await model.dispose();
      await first;
      const result = await running;
      assert.equal(result.stopReason, "abort");
      assert.ok(result.outputTokens > 0 && result.outputTokens < 400);
    } finally {
      const closing = runtime.dispose();
      await assert.rejects(runtime.generate({ modelPath: stories260K, prompt: "Hello", maxTokens: 4 }), RuntimeDisposedError);
      await closing;
    }
  });
});
