// How an agent's call becomes a prompt: the model's own chat template when its file has one, plain text otherwise.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaAgentEndpoint } from "../../../src/core/protocols/LlamaAgentEndpoint.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { stories260K, tempDir } from "../runtime/helpers.ts";

let runtime: LlamaRuntime;
let templated: string;
before(async () => {
  runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
  templated = (await ensureDefaultModels(tempDir("endpoint-models"))).candidates[0].path;
});
after(async () => {
  await runtime.dispose();
});

const call = { system: "You answer briefly.", prompt: "Question: which river flows through Paris?", prefix: "Action: Finish[", maxTokens: 6 };

test("a model with a chat template gets system, user and an open assistant message", async () => {
  assert.equal(await runtime.hasChatTemplate(templated), true);
  const reply = await new LlamaAgentEndpoint(runtime, { role: "student", modelPath: templated }).call(call);
  const { model } = await runtime.loadModel(templated);
  const expected = runtime.renderInput(model, {
    modelPath: templated,
    chat: [
      { role: "system", content: call.system },
      { role: "user", content: call.prompt },
      { role: "assistant", content: call.prefix },
    ],
  });
  assert.equal(reply.promptTokens, expected.length);
  assert.match(model.detokenize(expected, true), /Assistant: Action: Finish\[$/);
  // Forced to plain text, the same call is a different prompt.
  const raw = await new LlamaAgentEndpoint(runtime, { role: "student", modelPath: templated, promptFormat: "raw" }).call(call);
  assert.equal(raw.promptTokens, runtime.tokenizeWithBos(model, `${call.system}\n\n${call.prompt}\n${call.prefix}`).length);
  assert.notEqual(raw.promptTokens, reply.promptTokens);
});

test("a base model without a template gets plain text", { skip: existsSync(stories260K) ? false : "../shared/models is not present" }, async () => {
  assert.equal(await runtime.hasChatTemplate(stories260K), false);
  const reply = await new LlamaAgentEndpoint(runtime, { role: "teacher", modelPath: stories260K }).call(call);
  const { model } = await runtime.loadModel(stories260K);
  assert.equal(reply.promptTokens, runtime.tokenizeWithBos(model, `${call.system}\n\n${call.prompt}\n${call.prefix}`).length);
});
