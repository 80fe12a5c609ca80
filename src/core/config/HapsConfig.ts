// The routing configuration: agents, candidates, router and generator settings. Candidates, agents and task
// descriptions come from here, never from code, so N agents x M candidates work in general.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { parseJsonText } from "./readJsonFile.ts";
import { requireFile } from "../data/files/requireFile.ts";
import { isModelUri, SHA256_PATTERN } from "../download/modelUri.ts";
import { hostOffers } from "../host/hostServices.ts";
import { API_KEY_ENV_PATTERN } from "../host/keyOrigin.ts";
import { checkConfigFiles } from "./checkConfigFiles.ts";
import { CONFIG_LIMITS as L } from "./configLimits.ts";
import { policyShapeFields } from "./policyShape.ts";

const price = z
  .object({
    /** Price per million input (prompt) tokens. Defaults to 0. */
    input: z.number().nonnegative().default(0),
    /** Price per million output tokens. Defaults to 0. */
    output: z.number().nonnegative().default(0),
  })
  .strict();

const sha256 = z.string().regex(SHA256_PATTERN, "expected 64 hexadecimal digits (a SHA-256 checksum)");

/** `local`: a GGUF model run by llama.cpp in this process. */
const localCandidate = z
  .object({
    /** Short id used in routing prompts, transcripts and checkpoints. */
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.' and '-' only"),
    /** `"local"` (the default when `kind` is left out). */
    kind: z.literal("local"),
    /**
     * GGUF path, relative to the configuration file; or a URI to download it from (`hf:<user>/<repo>:<quant>`,
     * `hf:<user>/<repo>/<file>`, `https://...`) into the model cache (src/core/download).
     */
    model: z.string().min(1),
    /** SHA-256 of the model file; a downloaded file that differs is refused and deleted. Defaults to none (no check). */
    sha256: sha256.optional(),
    /** Whether the weights are open to adapters. A closed candidate is routed to but never gets a generated adapter. Defaults to `true`. */
    open: z.boolean().default(true),
    /** A one-line description shown to the router in the candidate list. Defaults to the id. */
    description: z.string().max(L.descriptionChars).optional(),
    /** Token prices used by the cost term of the reward. Defaults to 0 each. */
    price: price.default({ input: 0, output: 0 }),
  })
  .strict();

/**
 * `openai`: a chat model behind an OpenAI-compatible HTTP API (OpenAI itself, vLLM, llama-server, `haps serve`, ...),
 * called through src/core/remote. Its replies count tokens from the response's `usage`.
 */
const openAiCandidate = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.' and '-' only"),
    kind: z.literal("openai"),
    /** The API's base URL, up to and including its version path: `https://api.openai.com/v1`, `http://127.0.0.1:8080/v1`. */
    baseUrl: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), "expected an http:// or https:// URL"),
    /** The model name the server knows (OpenAI's model id, llama-server's `--alias`, vLLM's served model name). */
    model: z.string().min(1),
    /**
     * Name of the environment variable that holds the API key, sent as `Authorization: Bearer <key>`. The key itself
     * never goes into a configuration file or a log. Only `*_API_KEY` and `HAPS_*` names are accepted, and the key
     * is never sent over http except to a loopback address. Defaults to none (no Authorization header).
     */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name (letters, digits, '_'), not the key itself")
      .regex(API_KEY_ENV_PATTERN, "only variables named *_API_KEY or HAPS_* can be sent as a key (another variable may hold an unrelated secret)")
      .optional(),
    /**
     * Whether the weights take a per-query adapter (then `lora` says how it reaches the server). A closed candidate
     * (an API) is routed to without one, and its generator gets no gradient. Defaults to `false`.
     */
    open: z.boolean().default(false),
    description: z.string().max(L.descriptionChars).optional(),
    price: price.default({ input: 0, output: 0 }),
    /**
     * How a reply's JSON schema (protocol.constrainActions) reaches the server: `"json_schema"` sends
     * `response_format: {type: "json_schema", json_schema: {name, schema, strict: true}}`, which the server must
     * enforce (OpenAI structured outputs, vLLM guided decoding, llama-server's grammar); `"none"` sends no constraint
     * and the protocol's format retries deal with unreadable replies. Defaults to `"json_schema"`.
     */
    structuredOutput: z.enum(["json_schema", "none"]).default("json_schema"),
    /**
     * How the start of a reply that the protocol fixes (free-text mode's "Solution:", ...) is given:
     * `"assistant"`: as a last, unfinished assistant message, which llama-server continues; `"continue"`: the same
     * plus vLLM's `continue_final_message: true, add_generation_prompt: false`; `"none"`: servers that cannot
     * continue a message (OpenAI) are asked in the prompt to begin with it, and an echoed start is removed.
     * Defaults to `"assistant"`.
     */
    prefill: z.enum(["assistant", "continue", "none"]).default("assistant"),
    /** Time limit of one HTTP attempt, in ms. Defaults to 120,000. */
    timeoutMs: z.number().int().min(100).max(L.remoteTimeoutMs).default(120_000),
    /**
     * Retries after a failed attempt that may succeed later (no answer, a timeout, 408, 429, 5xx), waiting the
     * server's Retry-After or else `retryDelayMs` doubled on each retry. Defaults to 3.
     */
    retries: z.number().int().min(0).max(L.remoteRetries).default(3),
    /** The first retry's delay, in ms, before jitter. Defaults to 500. */
    retryDelayMs: z.number().int().min(0).max(L.remoteRetryDelayMs).default(500),
    /**
     * Open candidates only: how the per-query adapter reaches a multi-LoRA engine. `engine: "vllm"` writes it in the
     * PEFT layout into `adapterDir`, loads it with `POST /v1/load_lora_adapter`, names it in `model`, and unloads it
     * with `POST /v1/unload_lora_adapter` after the episode (vLLM with `--enable-lora` and
     * `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`, or `haps serve --lora-dir`). llama-server cannot load an adapter at
     * run time (only scale the ones given at its start), so it serves closed candidates only.
     */
    lora: z
      .object({
        engine: z.literal("vllm"),
        /** Folder HAPS writes each query's adapter into, relative to the configuration file; the server must read it. */
        adapterDir: z.string().min(1),
        /** The same folder as the server sees it (a shared volume mounted elsewhere). Defaults to `adapterDir`. */
        serverAdapterDir: z.string().min(1).optional(),
        /** The served model's shape, which sizes its generator (from its config.json: `num_hidden_layers`, `hidden_size`). */
        shape: z
          .object({
            /** Defaults to `"llama"`. */
            architecture: z.string().min(1).default("llama"),
            /** Transformer blocks. */
            blockCount: z.number().int().min(1).max(L.lastLayers * 8),
            /** o_proj input width (heads x head size). */
            oProjIn: z.number().int().min(1).max(L.hidden * 8),
            /** o_proj output width (the hidden size). Defaults to `oProjIn`. */
            oProjOut: z.number().int().min(1).max(L.hidden * 8).optional(),
          })
          .strict(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.open && c.lora == null)
      ctx.addIssue({ code: "custom", path: ["lora"], message: 'an open remote candidate needs `lora` (how its adapter reaches the server); or set "open": false' });
    if (!c.open && c.lora != null) ctx.addIssue({ code: "custom", path: ["lora"], message: "`lora` applies to open candidates only" });
  });

/**
 * `vscode-lm`: one of VS Code's own chat models (`vscode.lm.selectChatModels(selector)`: Copilot's, or another
 * extension's). Only the HAPS extension can reach them: the engine asks the extension to answer each turn
 * (src/core/hostLm), and token counts come from the model's `countTokens`. Always closed: no adapter, no gradient.
 */
const vscodeLmCandidate = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.' and '-' only"),
    kind: z.literal("vscode-lm"),
    /**
     * Which model: the fields of `vscode.LanguageModelChatSelector` (`vendor` such as "copilot", `family` such as
     * "gpt-4o", the model's `id`, its `version`); at least one is required, and the first model that matches answers.
     */
    selector: z
      .object({
        vendor: z.string().min(1).optional(),
        family: z.string().min(1).optional(),
        id: z.string().min(1).optional(),
        version: z.string().min(1).optional(),
      })
      .strict()
      .refine((s) => Object.values(s).some((v) => v != null), "give at least one of vendor, family, id, version"),
    /** VS Code's models are closed to adapters: `false`, the only value. Defaults to `false`. */
    open: z.literal(false, { error: "VS Code's language models take no adapter: a vscode-lm candidate is closed" }).default(false),
    description: z.string().max(L.descriptionChars).optional(),
    price: price.default({ input: 0, output: 0 }),
  })
  .strict()
  // Not an input field: a name for the model where every candidate shows one (`vscode-lm:copilot/gpt-4o`).
  .transform((c) => ({ ...c, model: `vscode-lm:${[c.selector.vendor, c.selector.family, c.selector.id, c.selector.version].filter((v) => v != null).join("/")}` }));

/** A candidate model: `local` (the default kind), `openai` or `vscode-lm`. */
const candidate = z.preprocess(
  // `kind` may be left out for the local kind (every configuration before remote candidates existed).
  (raw) => (raw != null && typeof raw === "object" && !Array.isArray(raw) && !("kind" in raw) ? { ...raw, kind: "local" } : raw),
  z.discriminatedUnion("kind", [localCandidate, openAiCandidate, vscodeLmCandidate], { error: 'expected "local" or "openai", or "vscode-lm" in VS Code' }),
);

const agent = z
  .object({
    /** Agent id (`student`, `teacher`, ...): the keys of the routing decision. */
    id: z.string().regex(/^[A-Za-z0-9_-]+$/),
    /** The role as described to the router. */
    role: z.string().min(1).max(L.descriptionChars),
  })
  .strict();

export const hapsConfigSchema = z
  .object({
    router: z
      .object({
        /** The router LLM (GGUF path, or a URI to download it from, as for local candidates): its pooled hidden state is the shared backbone feature. */
        model: z.string().min(1),
        /** SHA-256 of the router's file, checked when it is downloaded. Defaults to none (no check). */
        sha256: sha256.optional(),
        /** Pooling of the backbone feature. Defaults to `"mean"` (see Backbone.ts for why). */
        pooling: z.enum(["mean", "last"]).default("mean"),
        /**
         * Which hidden state the feature is pooled from: `"output"` (the final hidden state, on an embedding context),
         * `{ "layerInput": L }` (the input of layer L, 0-based, read through the native layer from a plain context:
         * cheaper per query; needs the native layer and an architecture llama.cpp records layer inputs for, e.g. llama,
         * qwen3, gemma4, not qwen2) or `"auto"`: the configured checkpoint's feature, else the last layer's input where
         * it can be read here, else the output (router/chooseFeatureKind.ts). A trained checkpoint records the feature
         * it was trained on and is refused with another. Defaults to `"auto"`.
         */
        feature: z
          .union([z.literal("auto"), z.literal("output"), z.object({ layerInput: z.number().int().min(0) }).strict()])
          .default("auto"),
        /** `"zero-shot"`: the router LLM answers in JSON; `"trained"`: a head over the backbone (needs a checkpoint). Defaults to `"zero-shot"`. */
        mode: z.enum(["zero-shot", "trained"]).default("zero-shot"),
        /** Checkpoint of the trained head and generators, relative to the configuration file. */
        checkpoint: z.string().optional(),
        /**
         * How the trained head scores assignments (src/core/router/RouterHead.ts): `joint` (one score per assignment),
         * `autoregressive` (agent by agent, each seeing the earlier choices) or `independent` (a sum over agents, the
         * ablation); `auto` is joint up to 64 assignments. Defaults to `"auto"`.
         */
        factorization: policyShapeFields.factorization.default("auto"),
      })
      .strict(),
    /** Embedding GGUF for dense retrieval (a path or a URI to download it from); BM25 when absent. */
    embeddingModel: z.string().optional(),
    /** SHA-256 of the embedding model's file, checked when it is downloaded. Defaults to none (no check). */
    embeddingModelSha256: sha256.optional(),
    agents: z.array(agent).min(1).max(L.agents),
    candidates: z.array(candidate).min(1).max(L.candidates),
    /** Task descriptions given to the router, per protocol. */
    tasks: z
      .object({
        "search-qa": z.string().max(L.descriptionChars).default("Answer a multi-hop question by searching the given paragraphs."),
        "multiple-choice": z.string().max(L.descriptionChars).default("Answer a multiple-choice question with one letter."),
      })
      .strict()
      .default({
        "search-qa": "Answer a multi-hop question by searching the given paragraphs.",
        "multiple-choice": "Answer a multiple-choice question with one letter.",
      }),
    generator: z
      .object({
        /** LoRA rank r. Defaults to 8. */
        rank: policyShapeFields.rank.default(8),
        /** Adapters go on the o_proj of the last k layers. Defaults to 1. */
        lastLayers: policyShapeFields.lastLayers.default(1),
        /** LoRA scale applied when attaching. Defaults to 1. */
        scale: z.number().min(-L.scale).max(L.scale).default(1),
        /** Hidden units of the generator's own layer (the second of the paper's 2-layer MLP). Defaults to 256. */
        hidden: policyShapeFields.hidden.default(256),
        /** Share the lower layers with the high-level router (false is the ablation). Defaults to `true`. */
        shareTrunk: policyShapeFields.shareTrunk.default(true),
        /** Seed of an untrained generator's initial weights. Defaults to 0. */
        seed: z.number().int().default(0),
      })
      .strict()
      .default({ rank: 8, lastLayers: 1, scale: 1, hidden: 256, shareTrunk: true, seed: 0 }),
    protocol: z
      .object({
        /** Constrain every agent reply with a JSON-schema grammar, so weak local models keep the format. Defaults to `true`. */
        constrainActions: z.boolean().default(true),
        /** Search QA: searches before the Student must finish. Defaults to 3. */
        searchBudget: z.number().int().min(0).max(L.searchBudget).default(3),
        /** Multiple choice: Student answers at most (the last one counts). Defaults to 3. */
        maxRounds: z.number().int().min(1).max(L.maxRounds).default(3),
        /** Retries with a format reminder before the stated fallback action. Defaults to 1. */
        formatRetries: z.number().int().min(0).max(L.formatRetries).default(1),
      })
      .strict()
      .default({ constrainActions: true, searchBudget: 3, maxRounds: 3, formatRetries: 1 }),
    /** The user's cost preference in reward = Perf - alpha * normalised Cost. Defaults to 0. */
    alpha: z.number().min(0).max(L.alpha).default(0),
    /** Per-generation token limit of an agent turn. Defaults to 256. */
    maxTokens: z.number().int().min(L.minMaxTokens).max(L.maxTokens).default(256),
  })
  .strict();

export type HapsConfig = z.infer<typeof hapsConfigSchema>;
export type CandidateConfig = HapsConfig["candidates"][number];
export type LocalCandidateConfig = Extract<CandidateConfig, { kind: "local" }>;
export type OpenAiCandidateConfig = Extract<CandidateConfig, { kind: "openai" }>;
export type VsCodeLmCandidateConfig = Extract<CandidateConfig, { kind: "vscode-lm" }>;
export type AgentConfig = HapsConfig["agents"][number];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Validates a parsed configuration. Relative model paths are resolved against `baseDir`. Errors name the file and
 * every offending field (e.g. `candidates[1].model`).
 */
export function parseHapsConfig(raw: unknown, source: string, baseDir: string): HapsConfig {
  const parsed = hapsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`${source}: invalid configuration\n  ${problems.join("\n  ")}`);
  }
  const config = parsed.data;
  const ids = new Set<string>();
  config.candidates.forEach((c, i) => {
    if (ids.has(c.id)) throw new ConfigError(`${source}: candidates[${i}].id: duplicate id "${c.id}"`);
    ids.add(c.id);
  });
  // VS Code's models are answered by the extension (a host call); a process without that host (the CLI) cannot.
  config.candidates.forEach((c, i) => {
    if (c.kind === "vscode-lm" && !hostOffers("lmChat"))
      throw new ConfigError(
        `${source}: candidates[${i}].kind: "vscode-lm" (candidate "${c.id}") is one of VS Code's language models, which only the HAPS extension in VS Code can reach; ` +
          `the haps command line cannot. Use it from VS Code, or give this candidate kind "local" or "openai".`,
      );
  });
  const agentIds = new Set<string>();
  config.agents.forEach((a, i) => {
    if (agentIds.has(a.id)) throw new ConfigError(`${source}: agents[${i}].id: duplicate id "${a.id}"`);
    agentIds.add(a.id);
  });
  // A URI stays as it is: src/core/download resolves it to a file in the model cache.
  const resolve = (p: string) => (isModelUri(p) ? p : path.resolve(baseDir, p));
  return {
    ...config,
    router: { ...config.router, model: resolve(config.router.model), checkpoint: config.router.checkpoint && path.resolve(baseDir, config.router.checkpoint) },
    embeddingModel: config.embeddingModel && resolve(config.embeddingModel),
    candidates: config.candidates.map((c) =>
      c.kind === "local"
        ? { ...c, model: resolve(c.model) }
        : c.kind === "vscode-lm" || c.lora == null
          ? c
          : { ...c, lora: { ...c.lora, adapterDir: path.resolve(baseDir, c.lora.adapterDir), serverAdapterDir: c.lora.serverAdapterDir ?? path.resolve(baseDir, c.lora.adapterDir) } },
    ),
  };
}

/**
 * Reads and validates a JSON configuration file; a JSON syntax error names the line and column, and model files
 * that are not there are named with their field (`router.model`, `candidates[1].model`, ...).
 */
export async function loadHapsConfig(file: string): Promise<HapsConfig> {
  await requireFile(file, "configuration file").catch((error: Error) => {
    throw new ConfigError(error.message);
  });
  const raw = parseJsonText(await readFile(file, "utf8"), file);
  const config = parseHapsConfig(raw, file, path.dirname(path.resolve(file)));
  // Only files on disk are checked here: remote candidates have none, and URIs are downloaded later.
  const onDisk = (p: string | undefined) => (p != null && !isModelUri(p) ? p : undefined);
  const missing = await checkConfigFiles({
    router: { model: onDisk(config.router.model), checkpoint: config.router.checkpoint },
    candidates: config.candidates.map((c) => ({ id: c.id, model: c.kind === "local" ? onDisk(c.model) : undefined })),
    embeddingModel: onDisk(config.embeddingModel),
  });
  if (missing.length > 0) throw new ConfigError(`${file}: ${missing.length === 1 ? "a file it names is" : "files it names are"} missing\n  ${missing.join("\n  ")}`);
  return config;
}

/** The paper's two agents. */
export const defaultAgents: AgentConfig[] = [
  { id: "teacher", role: "Teacher: reviews each step of the Student and either lets it continue or asks it to rethink, with advice." },
  { id: "student", role: "Student: reasons step by step and acts (searches, answers) to solve the problem." },
];
