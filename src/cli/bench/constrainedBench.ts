// What a constrained (JSON-schema) reply costs per token, against the same model unconstrained, and where the time
// goes: the decode itself (the plain figure), the grammar's work per token (llama.cpp's grammar sampler checks every
// candidate token of the vocabulary against the grammar's stacks, so it scales with the vocabulary), and building the
// grammar once per reply (LlamaRuntime.generate compiles the schema for each request).
import path from "node:path";
import type { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { medianInterval95, summarise, timeRepeats, type Summary } from "./stats.ts";

const PROMPT = "Answer in JSON. Which river flows through Paris?";
const SCHEMA = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
const TOKENS = 24;

export interface ConstrainedFigures {
  model: string;
  vocabulary: number;
  /** ms per decoded token, unconstrained and under the grammar (interleaved pairs). */
  plainMsPerToken: Summary;
  constrainedMsPerToken: Summary;
  /** constrained / plain per pair, with a 95 % interval of its median. */
  ratio: Summary;
  ratioInterval95: [number, number];
  /** The grammar's share of a constrained token: (constrained - plain) / constrained, from the medians. */
  grammarShare: number;
  /** Compiling the schema into a grammar, once per reply. */
  grammarBuildMs: Summary;
}

export async function benchConstrained(runtime: LlamaRuntime, modelPath: string, repeats: number): Promise<ConstrainedFigures> {
  const { model } = await runtime.loadModel(modelPath);
  const perToken = async (jsonSchema?: object) => {
    const request = { modelPath, prompt: PROMPT, temperature: 0, ...(jsonSchema ? { jsonSchema } : {}) };
    const one = await runtime.generate({ ...request, maxTokens: 1 });
    const many = await runtime.generate({ ...request, maxTokens: TOKENS + 1 });
    return many.outputTokens > one.outputTokens ? (many.ms - one.ms) / (many.outputTokens - one.outputTokens) : null;
  };
  const plain: number[] = [];
  const constrained: number[] = [];
  for (let r = -1; r < repeats; r++) {
    const p = await perToken();
    const c = await perToken(SCHEMA);
    if (r >= 0 && p != null && c != null) {
      plain.push(p);
      constrained.push(c);
    }
  }
  const ratios = constrained.map((c, i) => c / plain[i]);
  const plainMsPerToken = summarise(plain);
  const constrainedMsPerToken = summarise(constrained);
  return {
    model: path.basename(modelPath),
    vocabulary: (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } }).tokenizer?.ggml?.tokens?.length ?? 0,
    plainMsPerToken,
    constrainedMsPerToken,
    ratio: summarise(ratios),
    ratioInterval95: medianInterval95(ratios),
    grammarShare: (constrainedMsPerToken.median - plainMsPerToken.median) / constrainedMsPerToken.median,
    grammarBuildMs: await timeRepeats(repeats, () => runtime.llama.createGrammarForJsonSchema(SCHEMA as never)),
  };
}
