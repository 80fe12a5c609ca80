// Model files that llama.cpp would refuse with "Failed to load model" alone, or abort the process on, are refused by
// the runtime with the file and the reason; the runtime serves the next request as before.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildTinyLlama } from "../../../src/core/models/buildTinyLlama.ts";
import { SpmVocabulary } from "../../../src/core/models/SpmVocabulary.ts";
import { GpuBackendError, LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { PromptTooLongError } from "../../../src/core/runtime/PromptTooLongError.ts";
import { tempDir } from "./helpers.ts";

const SPEC = { name: "tiny", embeddingLength: 64, blockCount: 2, headCount: 4, feedForwardLength: 64, contextLength: 256 };
const dir = tempDir("model-files");
const good = path.join(dir, "good.gguf");
let runtime: LlamaRuntime;
before(async () => {
  await buildTinyLlama(SPEC).write(good);
  runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
});
after(async () => {
  await runtime.dispose();
});

/** Generation on the good model still works after a refusal. */
async function stillServes(): Promise<void> {
  const result = await runtime.generate({ modelPath: good, prompt: "the cat", maxTokens: 3 });
  assert.equal(result.stopReason, "maxTokens");
}

test("missing files, folders, non-GGUF and truncated files are refused with the path and the reason", async () => {
  const cases: [string, RegExp][] = [
    [path.join(dir, "absent.gguf"), /^model file ".*absent\.gguf": not found$/],
    [dir, /^model file ".*model-files-[^"]*": is a directory, not a file$/],
  ];
  const junk = path.join(dir, "junk.gguf");
  writeFileSync(junk, "not a model at all");
  cases.push([junk, /^model file ".*junk\.gguf" \(18 bytes\) is not a readable GGUF file: .*GGUF magic/]);
  const truncated = path.join(dir, "truncated.gguf");
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 4096));
  cases.push([truncated, new RegExp(`^model file ".*truncated\\.gguf" is truncated: its \\d+ tensors need ${bytes.length} bytes but the file has ${bytes.length - 4096} .*download it again$`)]);
  for (const [file, message] of cases) {
    await assert.rejects(runtime.generate({ modelPath: file, prompt: "x", maxTokens: 1 }), (error: Error) => {
      assert.match(error.message, message);
      return true;
    });
    await stillServes();
  }
});

test("an SPM vocabulary without byte tokens is refused before llama.cpp would abort the process", async () => {
  const nobytes = path.join(dir, "nobytes.gguf");
  await buildTinyLlama({ ...SPEC, vocabulary: SpmVocabulary.fromWords(undefined, { byteFallback: false }) }).write(nobytes);
  // Were it loaded, llama.cpp would throw std::out_of_range at load and abort this very test process.
  await assert.rejects(runtime.loadModel(nobytes), /model ".*nobytes\.gguf": its SentencePiece vocabulary lacks 162 of the 256 byte-fallback tokens/);
  await assert.rejects(runtime.embed(nobytes, ["é"]), /byte-fallback tokens/);
  await stillServes();
});

test("a prompt longer than the context is refused with both token counts", async () => {
  const { model } = await runtime.loadModel(good);
  const prompt = "the cat ".repeat(200);
  const tokens = runtime.tokenizeWithBos(model, prompt).length;
  assert.ok(tokens > 256);
  await assert.rejects(runtime.generate({ modelPath: good, prompt, maxTokens: 1 }), (error: Error) => {
    assert.ok(error instanceof PromptTooLongError, String(error));
    assert.equal(error.message, `model "good": the prompt is ${tokens} tokens but its context holds 256; shorten the input`);
    return true;
  });
  await assert.rejects(runtime.nextTokenProbabilities(good, prompt), PromptTooLongError);
  await assert.rejects(runtime.embed(good, [prompt]), PromptTooLongError);
  await stillServes();
});

test("a GPU backend named but absent is an error that says what to use instead", async () => {
  // What the settings imply: on a machine with CUDA the runtime runs on it; elsewhere it must say it cannot.
  let created: LlamaRuntime | null = null;
  try {
    created = await LlamaRuntime.create({ gpu: "cuda", threads: 1 });
  } catch (error) {
    assert.ok(error instanceof GpuBackendError, String(error));
    assert.match(error.message, /^GPU backend "cuda" is not available on this machine \(.+\)\. Use "auto" .* or "off" \(--gpu on the command line, the haps\.gpu setting in VS Code\), or install the NVIDIA driver and CUDA runtime \(in VS Code: and the extension's -cuda VSIX, which carries the CUDA build\)\.$/);
  }
  if (created != null) {
    assert.equal((await created.info()).backend, "cuda");
    await created.dispose();
  }
});
