// The routing configuration: agents, candidates, router and generator settings. Candidates, agents and task
// descriptions come from here, never from code, so N agents x M candidates work in general.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { requireFile } from "../data/files/requireFile.ts";
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

const candidate = z
  .object({
    /** Short id used in routing prompts, transcripts and checkpoints. */
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "use letters, digits, '_', '.' and '-' only"),
    /** `local`: a GGUF file run by llama.cpp. Closed kinds (APIs) come later. */
    kind: z.literal("local").default("local"),
    /** GGUF path, relative to the configuration file. */
    model: z.string().min(1),
    /** Whether the weights are open to adapters. A closed candidate is routed to but never gets a generated adapter. Defaults to `true`. */
    open: z.boolean().default(true),
    /** A one-line description shown to the router in the candidate list. Defaults to the id. */
    description: z.string().max(L.descriptionChars).optional(),
    /** Token prices used by the cost term of the reward. Defaults to 0 each. */
    price: price.default({ input: 0, output: 0 }),
  })
  .strict();

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
        /** The router LLM (GGUF): its pooled hidden state is the shared backbone feature. */
        model: z.string().min(1),
        /** Pooling of the backbone feature. Defaults to `"mean"` (see Backbone.ts for why). */
        pooling: z.enum(["mean", "last"]).default("mean"),
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
    /** Embedding GGUF for dense retrieval; BM25 when absent. */
    embeddingModel: z.string().optional(),
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
  const agentIds = new Set<string>();
  config.agents.forEach((a, i) => {
    if (agentIds.has(a.id)) throw new ConfigError(`${source}: agents[${i}].id: duplicate id "${a.id}"`);
    agentIds.add(a.id);
  });
  const resolve = (p: string) => path.resolve(baseDir, p);
  return {
    ...config,
    router: { ...config.router, model: resolve(config.router.model), checkpoint: config.router.checkpoint && resolve(config.router.checkpoint) },
    embeddingModel: config.embeddingModel && resolve(config.embeddingModel),
    candidates: config.candidates.map((c) => ({ ...c, model: resolve(c.model) })),
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
  const text = await readFile(file, "utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split("\n").length;
      const column = Number(position[1]) - before.lastIndexOf("\n");
      throw new ConfigError(`${file}:${line}:${column}: invalid JSON: ${message}`);
    }
    throw new ConfigError(`${file}: invalid JSON: ${message}`);
  }
  const config = parseHapsConfig(raw, file, path.dirname(path.resolve(file)));
  const missing = await checkConfigFiles(config);
  if (missing.length > 0) throw new ConfigError(`${file}: ${missing.length === 1 ? "a file it names is" : "files it names are"} missing\n  ${missing.join("\n  ")}`);
  return config;
}

/** The paper's two agents. */
export const defaultAgents: AgentConfig[] = [
  { id: "teacher", role: "Teacher: reviews each step of the Student and either lets it continue or asks it to rethink, with advice." },
  { id: "student", role: "Student: reasons step by step and acts (searches, answers) to solve the problem." },
];
