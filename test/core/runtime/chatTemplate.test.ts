// Chat prompts go through the chat template stored in the model file.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { tempDir } from "./helpers.ts";

let runtime: LlamaRuntime;
let modelPath: string;
before(async () => {
  runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
  modelPath = (await ensureDefaultModels(tempDir("chat-models"))).candidates[0].path;
});
after(async () => {
  await runtime.dispose();
});

test("chat messages are rendered with the model file's template, with BOS and the generation prompt", async () => {
  const chat = [
    { role: "system" as const, content: "Be brief." },
    { role: "user" as const, content: "Name a colour." },
  ];
  const { model } = await runtime.loadModel(modelPath);
  const tokens = runtime.renderInput(model, { modelPath, chat });
  assert.equal(tokens[0], model.tokens.bos);
  // The embedded models' template writes "Role: text" lines and ends with "Assistant:" (src/core/models/chatTemplate.ts).
  // (The tiny SPM vocabulary spells the template's line breaks as " \n" when detokenised; spaces are not the point here.)
  const rendered = model.detokenize(tokens.slice(1), true).replace(/ +\n/g, "\n").trim();
  assert.equal(rendered, "System: Be brief.\nUser: Name a colour.\nAssistant:");
  const reply = await runtime.generate({ modelPath, chat, maxTokens: 8 });
  assert.equal(reply.promptTokens, tokens.length);
  assert.ok(reply.outputTokens > 0);
  // A conversation that ends with the assistant's words is continued, not given a new prompt.
  const cont = runtime.renderInput(model, { modelPath, chat: [...chat, { role: "assistant", content: "Red" }] });
  assert.ok(!model.detokenize(cont.slice(1), true).endsWith("Assistant:"));
});
