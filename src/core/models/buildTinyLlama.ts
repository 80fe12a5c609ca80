import { GgufWriter } from "../gguf/GgufWriter.ts";
import { TINY_CHAT_TEMPLATE } from "./chatTemplate.ts";
import { Rng } from "../nn/Rng.ts";
import { SpmVocabulary } from "./SpmVocabulary.ts";
import type { TensorSlot, TinyLlamaSpec } from "./types.ts";

/** general.file_type 0: every tensor is F32. */
const FILE_TYPE_ALL_F32 = 0;

interface TensorPlan {
  name: string;
  dims: number[];
  layer: number | undefined;
  /** How the random values are drawn: ones (norm gains) or normal with this standard deviation. */
  init: "ones" | number;
}

/**
 * The tensors of a llama model in llama.cpp's names and ggml dims, with an initialisation that keeps random
 * models talkative: unit-variance embeddings, 1/sqrt(fan-in) projections (so attention scores and block outputs
 * stay O(1)), and an output head whose logits have a standard deviation of about 4, peaked enough that greedy
 * decoding follows the context instead of a single most likely token.
 */
function planTensors(spec: Required<Pick<TinyLlamaSpec, "embeddingLength" | "blockCount" | "headCount" | "feedForwardLength">> & { headCountKv: number; vocabSize: number }): TensorPlan[] {
  const { embeddingLength: e, feedForwardLength: ff, vocabSize: v } = spec;
  const kv = (e / spec.headCount) * spec.headCountKv;
  const plans: TensorPlan[] = [
    { name: "token_embd.weight", dims: [e, v], layer: undefined, init: 1 },
    { name: "output_norm.weight", dims: [e], layer: undefined, init: "ones" },
    { name: "output.weight", dims: [e, v], layer: undefined, init: 4 / Math.sqrt(e) },
  ];
  for (let i = 0; i < spec.blockCount; i++) {
    const blk = (n: string, dims: number[], init: TensorPlan["init"]) => plans.push({ name: `blk.${i}.${n}.weight`, dims, layer: i, init });
    blk("attn_norm", [e], "ones");
    blk("attn_q", [e, e], 1 / Math.sqrt(e));
    blk("attn_k", [e, kv], 1 / Math.sqrt(e));
    blk("attn_v", [e, kv], 1 / Math.sqrt(e));
    blk("attn_output", [e, e], 1 / Math.sqrt(e));
    blk("ffn_norm", [e], "ones");
    blk("ffn_gate", [e, ff], 1 / Math.sqrt(e));
    blk("ffn_down", [ff, e], 1 / Math.sqrt(ff));
    blk("ffn_up", [e, ff], 1 / Math.sqrt(e));
  }
  return plans;
}

function positiveInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`TinyLlamaSpec.${name} must be a positive integer, got ${value}`);
}

/**
 * Builds a tiny llama-architecture GGUF model (F32 weights, an SPM tokenizer and a chat template) from a spec.
 * The same spec gives the same bytes; `tensors` and `weights` set chosen tensors on purpose.
 */
export function buildTinyLlama(spec: TinyLlamaSpec): GgufWriter {
  const headCountKv = spec.headCountKv ?? spec.headCount;
  const contextLength = spec.contextLength ?? 2048;
  const seed = spec.seed ?? 1;
  for (const [k, v] of Object.entries({ embeddingLength: spec.embeddingLength, blockCount: spec.blockCount, headCount: spec.headCount, headCountKv, feedForwardLength: spec.feedForwardLength, contextLength })) {
    positiveInt(k, v);
  }
  if (spec.embeddingLength % spec.headCount !== 0) {
    throw new Error(`TinyLlamaSpec: embeddingLength ${spec.embeddingLength} is not a multiple of headCount ${spec.headCount}`);
  }
  const headWidth = spec.embeddingLength / spec.headCount;
  if (headWidth % 2 !== 0) throw new Error(`TinyLlamaSpec: head width ${headWidth} must be even (RoPE rotates pairs)`);
  if (spec.headCount % headCountKv !== 0) {
    throw new Error(`TinyLlamaSpec: headCountKv ${headCountKv} must divide headCount ${spec.headCount}`);
  }
  if (!Number.isInteger(seed)) throw new Error(`TinyLlamaSpec.seed must be an integer, got ${seed}`);
  const vocab = spec.vocabulary ?? SpmVocabulary.fromWords();

  const plans = planTensors({ ...spec, headCountKv, vocabSize: vocab.size });
  const known = new Set(plans.map((p) => p.name));
  for (const name of Object.keys(spec.tensors ?? {})) {
    if (!known.has(name)) throw new Error(`TinyLlamaSpec.tensors: "${name}" is not a tensor of this model`);
  }

  const w = new GgufWriter();
  w.setKv("general.architecture", { type: "string", value: "llama" })
    .setKv("general.name", { type: "string", value: spec.name })
    .setKv("general.file_type", { type: "uint32", value: FILE_TYPE_ALL_F32 })
    .setKv("llama.context_length", { type: "uint32", value: contextLength })
    .setKv("llama.embedding_length", { type: "uint32", value: spec.embeddingLength })
    .setKv("llama.block_count", { type: "uint32", value: spec.blockCount })
    .setKv("llama.feed_forward_length", { type: "uint32", value: spec.feedForwardLength })
    .setKv("llama.rope.dimension_count", { type: "uint32", value: headWidth })
    .setKv("llama.attention.head_count", { type: "uint32", value: spec.headCount })
    .setKv("llama.attention.head_count_kv", { type: "uint32", value: headCountKv })
    .setKv("llama.attention.layer_norm_rms_epsilon", { type: "float32", value: spec.rmsEpsilon ?? 1e-5 })
    .setKv("llama.vocab_size", { type: "uint32", value: vocab.size })
    .setKv("tokenizer.ggml.model", { type: "string", value: "llama" })
    .setKv("tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens })
    .setKv("tokenizer.ggml.scores", { type: "float32[]", value: vocab.scores })
    .setKv("tokenizer.ggml.token_type", { type: "int32[]", value: vocab.tokenTypes })
    .setKv("tokenizer.ggml.unknown_token_id", { type: "uint32", value: SpmVocabulary.unknownId })
    .setKv("tokenizer.ggml.bos_token_id", { type: "uint32", value: SpmVocabulary.bosId })
    .setKv("tokenizer.ggml.eos_token_id", { type: "uint32", value: SpmVocabulary.eosId })
    .setKv("tokenizer.ggml.add_bos_token", { type: "bool", value: true })
    .setKv("tokenizer.ggml.add_eos_token", { type: "bool", value: false })
    .setKv("tokenizer.chat_template", { type: "string", value: spec.chatTemplate ?? TINY_CHAT_TEMPLATE });

  for (const plan of plans) {
    const count = plan.dims.reduce((p, d) => p * d, 1);
    const random = () => {
      if (plan.init === "ones") return new Float32Array(count).fill(1);
      return Rng.forKey(seed, plan.name).fillNormal(new Float32Array(count), plan.init);
    };
    const slot: TensorSlot = { name: plan.name, dims: plan.dims, layer: plan.layer, random };
    const data = spec.tensors?.[plan.name] ?? spec.weights?.(slot) ?? random();
    if (!(data instanceof Float32Array) || data.length !== count) {
      const got = data instanceof Float32Array ? `${data.length} values` : typeof data;
      throw new Error(`TinyLlamaSpec: tensor "${plan.name}" [${plan.dims.join(", ")}] needs a Float32Array of ${count} values, got ${got}`);
    }
    w.addTensor({ name: plan.name, dims: plan.dims, data });
  }
  return w;
}
