// One query all the way through HAPS:
//   routing prompt -> backbone feature -> high-level router (a model per agent)
//   -> low-level router (a LoRA adapter per open chosen model) -> Teacher-Student protocol -> answer, tokens, cost.
// The same code serves the CLI, the engine process of the extension and the tests.
import { adapterStats } from "../adapters/adapterStats.ts";
import { checkpointFeature, loadCheckpoint } from "../checkpoint/checkpoint.ts";
import type { CandidateConfig, HapsConfig } from "../config/HapsConfig.ts";
import type { Paragraph } from "../data/TaskItem.ts";
import { readModelShape } from "../gguf/readModelShape.ts";
import { answerScores, choiceMatch, CostNormalizer, episodeCost, isChoiceLetter } from "../metrics/index.ts";
import { MultipleChoiceProtocol } from "../protocols/MultipleChoiceProtocol.ts";
import { SearchQaProtocol } from "../protocols/SearchQaProtocol.ts";
import type { AgentEndpoint, AgentRole, EpisodeOutcome } from "../protocols/types.ts";
import { Bm25Retriever } from "../retrieval/Bm25Retriever.ts";
import { DenseRetriever } from "../retrieval/DenseRetriever.ts";
import type { Retriever } from "../retrieval/Retriever.ts";
import type { Assignment } from "../router/Assignment.ts";
import { Backbone } from "../router/Backbone.ts";
import { chooseFeatureKind, type ChosenFeature } from "../router/chooseFeatureKind.ts";
import { featureLayer } from "../router/FeatureKind.ts";
import { HapsPolicy } from "../router/HapsPolicy.ts";
import { resolveHapsPolicyConfig, type CandidateModel } from "../router/HapsPolicyConfig.ts";
import { checkGeneratorFits } from "../config/checkGeneratorFits.ts";
import { buildRoutingPrompt, routingPromptText, type RoutingPrompt } from "../router/RoutingPrompt.ts";
import { ZeroShotRouter } from "../router/ZeroShotRouter.ts";
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { AdapterReport, EpisodeEvent, EpisodeReport, EpisodeRequest, PreparedQuery } from "./types.ts";
import type { LoraAdapter } from "../adapters/types.ts";
import { createAgentEndpoint, releaseAgentEndpoints } from "./createAgentEndpoint.ts";
import { modelCacheDir } from "../download/modelCache.ts";
import { resolveConfigModels } from "../download/resolveConfigModels.ts";

export interface EpisodeHooks {
  signal?: AbortSignal;
  onEvent?: (event: EpisodeEvent) => void;
}

export interface EpisodeOptions extends EpisodeHooks {
  /** The cost preference recorded in the report. Defaults to the request's, else the configuration's. */
  alpha?: number;
  /** Which adapters the open models get (see `runEpisode`). Defaults to `"generated"`. */
  adapters?: "generated" | "none" | Partial<Record<AgentRole, LoraAdapter | null>>;
  /** Time the routing took, for the report. Defaults to 0. */
  routingMs?: number;
  /** When the episode's clock started (performance.now()). Defaults to now. */
  started?: number;
}

const PROTOCOL_AGENTS: AgentRole[] = ["student", "teacher"];

export class HapsPipeline {
  /** The zero-shot routers, one per router sequence (zeroShotRouter). */
  private readonly zeroShotRouters = new Map<string, ZeroShotRouter>();

  private constructor(
    private readonly runtime: LlamaRuntime,
    readonly config: HapsConfig,
    readonly policy: HapsPolicy,
    private readonly backbone: Backbone,
    private readonly costNormalizer: CostNormalizer | null,
    readonly checkpointLoaded: boolean,
    /** How `decide` routes: the configuration's mode, or "trained" for a pipeline made by `withPolicy`. */
    readonly routerMode: "zero-shot" | "trained" = config.router.mode,
  ) {}

  /** The feature the router reads (router.feature resolved against the checkpoint and this runtime), and why. */
  get feature(): ChosenFeature {
    return { kind: this.backbone.kind, reason: this.backbone.reason };
  }

  /**
   * The same pipeline (runtime, configuration, backbone) deciding with another policy - a router being trained - and
   * normalising cost with its training split's statistics.
   */
  withPolicy(policy: HapsPolicy, costNormalizer: CostNormalizer | null): HapsPipeline {
    return new HapsPipeline(this.runtime, this.config, policy, this.backbone, costNormalizer, false, "trained");
  }

  /**
   * Reads the candidates' shapes from their GGUF headers, builds the policy (head, shared trunk, generators) and
   * loads the configured checkpoint, which must match those models and widths.
   */
  static async create(runtime: LlamaRuntime, config: HapsConfig): Promise<HapsPipeline> {
    // Model settings that are URIs name files in the model cache (openPipeline has resolved them already; a trainer
    // has not): a file not downloaded yet is an error naming its field.
    config = await resolveConfigModels(config, { dir: modelCacheDir() });
    const agentIds = config.agents.map((a) => a.id);
    for (const role of PROTOCOL_AGENTS)
      if (!agentIds.includes(role))
        throw new Error(`configuration: agents must include "${role}" (the protocols are Student-Teacher); got ${agentIds.join(", ")}`);
    const candidates: CandidateModel[] = [];
    for (const c of config.candidates) candidates.push(await candidateModel(c));
    const routerShape = await readModelShape(config.router.model);
    const checkpointDir = config.router.checkpoint;
    const chosen = await chooseFeatureKind(config.router.feature, {
      blockCount: routerShape.blockCount,
      checkpoint: checkpointDir == null ? null : { dir: checkpointDir, feature: () => checkpointFeature(checkpointDir) },
      // Said here, once, rather than on the first query. This is the router's first load: a file llama.cpp cannot
      // use is reported with its role, as checkEpisodeRequest does.
      layerInputProblem: (layer) =>
        runtime.layerInputProblem(config.router.model, config.router.pooling, layer).catch((error: Error) => {
          error.message = `router model: ${error.message}`;
          throw error;
        }),
    });
    const feature = chosen.kind;
    const policyConfig = {
      featureWidth: routerShape.embeddingLength,
      feature,
      agents: agentIds,
      candidates,
      hidden: config.generator.hidden,
      rank: config.generator.rank,
      lastLayers: config.generator.lastLayers,
      shareTrunk: config.generator.shareTrunk,
      factorization: config.router.factorization,
      seed: config.generator.seed,
    };
    // Sizes against the models' shapes (rank <= the o_proj widths, k <= the blocks) and the memory, before allocating.
    checkGeneratorFits(config, routerShape.embeddingLength, candidates, { factorization: resolveHapsPolicyConfig(policyConfig).factorization });
    let policy = new HapsPolicy(policyConfig);
    let costNormalizer: CostNormalizer | null = null;
    let loaded = false;
    if (config.router.checkpoint != null) {
      const checkpoint = await loadCheckpoint(config.router.checkpoint, policyConfig);
      policy = checkpoint.policy;
      const stats = (checkpoint.manifest.extra as { costNormalizer?: unknown } | undefined)?.costNormalizer;
      if (stats != null) costNormalizer = CostNormalizer.fromJSON(stats as never);
      loaded = true;
    } else if (config.router.mode === "trained") {
      throw new Error('configuration: router.mode is "trained" but router.checkpoint is not set');
    }
    const backbone = new Backbone(runtime, config.router.model, config.router.pooling, feature, chosen.reason);
    return new HapsPipeline(runtime, config, policy, backbone, costNormalizer, loaded);
  }

  /**
   * The high-level router's input for one query: the four-part routing prompt and the backbone feature pooled from
   * it. Both depend only on the request (not on alpha), so a trainer computes them once per item and reuses them.
   */
  async prepare(request: EpisodeRequest): Promise<PreparedQuery> {
    const { task, routing } = this.routingPromptFor(request);
    const started = performance.now();
    const feature = await this.backbone.feature(routing);
    return { request, task, routing, routingPrompt: routingPromptText(routing), feature, featureMs: performance.now() - started };
  }

  /** The routing decision at cost preference `alpha`: the router LLM's (zero-shot) or the trained head's mode. */
  async decide(prepared: PreparedQuery, alpha: number, signal?: AbortSignal): Promise<Assignment> {
    if (this.routerMode === "zero-shot") return await this.zeroShot(prepared.routing, alpha, signal);
    const head = this.policy.head;
    return head.toAssignment(head.argmax(prepared.feature, alpha));
  }

  /**
   * One query all the way through: routing prompt, feature and decision, then the episode with the generated
   * adapters. In zero-shot mode the feature (for the generators) and the router LLM's decision come from one pass over
   * the router's prefix-cached sequence: the query's own tokens are evaluated once, for both.
   */
  async run(request: EpisodeRequest, hooks: EpisodeHooks = {}): Promise<EpisodeReport> {
    const started = performance.now();
    const alpha = request.alpha ?? this.config.alpha;
    const { task, routing } = this.routingPromptFor(request);
    let feature: Float32Array;
    let assignment: Assignment;
    if (this.routerMode === "zero-shot") {
      ({ feature, assignment } = await this.zeroShotRouter().routeWithFeature(routing, this.config.agents.map((a) => a.id), this.config.candidates, alpha, hooks.signal));
    } else {
      feature = await this.backbone.feature(routing);
      assignment = this.policy.head.toAssignment(this.policy.head.argmax(feature, alpha));
    }
    const featureMs = performance.now() - started;
    const prepared: PreparedQuery = { request, task, routing, routingPrompt: routingPromptText(routing), feature, featureMs };
    const routingMs = performance.now() - started;
    return await this.runEpisode(prepared, assignment, { ...hooks, alpha, adapters: "generated", routingMs, started });
  }

  private routingPromptFor(request: EpisodeRequest): { task: PreparedQuery["task"]; routing: RoutingPrompt } {
    const task: PreparedQuery["task"] = request.choices != null && request.choices.length > 0 ? "multiple-choice" : "search-qa";
    return { task, routing: buildRoutingPrompt(this.config.agents, this.config.tasks[task], request, this.config.candidates) };
  }

  private async zeroShot(routing: RoutingPrompt, alpha: number, signal?: AbortSignal): Promise<Assignment> {
    const agentIds = this.config.agents.map((a) => a.id);
    return await this.zeroShotRouter().route(routing, agentIds, this.config.candidates, alpha, signal);
  }

  /**
   * The router LLM's decisions, on the same prefix-cached sequence as the backbone's feature. One router per sequence
   * for the pipeline's life: it keeps the last query's choices, which it reads the next query's later decisions ahead for.
   */
  private zeroShotRouter(): ZeroShotRouter {
    const layer = featureLayer(this.backbone.kind);
    const key = `${this.config.router.model}|${this.backbone.pooling}|${layer ?? "output"}`;
    let router = this.zeroShotRouters.get(key);
    if (router == null) {
      router = new ZeroShotRouter(this.runtime, this.config.router.model, this.backbone.pooling, layer);
      this.zeroShotRouters.set(key, router);
    }
    return router;
  }

  /**
   * The Teacher-Student episode for a decided assignment. `adapters`: `"generated"` (the low-level router's mean
   * adapter for every open model, as in inference), `"none"` (the base models: the action-level data and the
   * no-adapter ablation), or explicit adapters per agent (a trainer's exploratory samples; null for none).
   */
  async runEpisode(prepared: PreparedQuery, assignment: Assignment, options: EpisodeOptions = {}): Promise<EpisodeReport> {
    const started = options.started ?? performance.now();
    const emit = options.onEvent ?? (() => {});
    const { request, task } = prepared;
    const alpha = options.alpha ?? request.alpha ?? this.config.alpha;
    const mode = options.adapters ?? "generated";
    emit({ type: "assignment", assignment });

    // Low-level router: an adapter per agent whose model is open, generated for this query only.
    const adapters: AdapterReport[] = [];
    const endpoints = {} as Record<AgentRole, AgentEndpoint>;
    for (const role of PROTOCOL_AGENTS) {
      const candidate = this.candidate(assignment.choice[role]);
      const t0 = performance.now();
      const adapter = !candidate.open
        ? null
        : mode === "generated"
          ? this.policy.generate(candidate.id, prepared.feature)
          : mode === "none"
            ? null
            : (mode[role] ?? null);
      const generateMs = performance.now() - t0;
      if (adapter != null) {
        const report = adapterReport(role, candidate.id, this.config.generator.scale, generateMs, adapter);
        adapters.push(report);
        emit({ type: "adapter", adapter: report });
      }
      endpoints[role] = createAgentEndpoint(this.runtime, { role, candidate, adapter, scale: this.config.generator.scale, maxTokens: this.config.maxTokens });
    }

    const protocolOptions = {
      constrainActions: this.config.protocol.constrainActions,
      formatRetries: this.config.protocol.formatRetries,
      maxTokens: this.config.maxTokens,
      fieldLimits: fieldLimitsFor(this.config.maxTokens),
      signal: options.signal,
      onText: (role: AgentRole, text: string) => emit({ type: "text", role, text }),
    };
    let outcome: EpisodeOutcome;
    try {
      if (task === "multiple-choice") {
        outcome = await new MultipleChoiceProtocol({ ...protocolOptions, maxRounds: this.config.protocol.maxRounds }).run({ question: request.question, choices: request.choices! }, endpoints);
      } else {
        const retriever = await this.retriever(request.context ?? []);
        outcome = await new SearchQaProtocol({ ...protocolOptions, searchBudget: this.config.protocol.searchBudget }).run({ question: request.question }, endpoints, retriever);
      }
    } finally {
      await releaseAgentEndpoints(Object.values(endpoints));
    }
    for (const turn of outcome.turns) emit({ type: "turn", turn });

    const prices = Object.fromEntries(this.config.candidates.map((c) => [c.id, c.price]));
    const cost = episodeCost(outcome.tokens, prices);
    const report: EpisodeReport = {
      id: request.id,
      task,
      alpha,
      routingPrompt: prepared.routingPrompt,
      assignment,
      adapters,
      transcript: outcome.turns,
      answer: outcome.answer,
      stoppedBecause: outcome.stoppedBecause,
      tokens: outcome.tokens,
      cost: {
        total: cost,
        normalised: this.costNormalizer?.fitted ? this.costNormalizer.normalise(cost) : null,
        pricesPerMillion: prices,
      },
      metrics: scoreAnswer(task, outcome.answer, request.gold),
      timings: { routingMs: options.routingMs ?? 0, totalMs: performance.now() - started },
    };
    emit({ type: "done", report });
    return report;
  }

  /** A fixed assignment (agent id -> candidate id) as a routing decision, for action-level data and baselines. */
  fixedAssignment(choice: Record<string, string>): Assignment {
    const probabilities: Assignment["probabilities"] = {};
    for (const agent of this.config.agents) {
      const id = choice[agent.id];
      this.candidate(id);
      probabilities[agent.id] = Object.fromEntries(this.config.candidates.map((c) => [c.id, c.id === id ? 1 : 0]));
    }
    return { choice: { ...choice }, probabilities, logProbability: 0, mode: "fixed" };
  }

  candidate(id: string): CandidateConfig {
    const candidate = this.config.candidates.find((c) => c.id === id);
    if (candidate == null) throw new Error(`router chose "${id}", which is not a configured candidate`);
    return candidate;
  }

  /** Dense retrieval through the configured embedding model; BM25 when none is set. */
  private async retriever(paragraphs: Paragraph[]): Promise<Retriever> {
    const embeddingModel = this.config.embeddingModel;
    if (embeddingModel == null) return Bm25Retriever.fromParagraphs(paragraphs);
    return DenseRetriever.fromParagraphs(paragraphs, (texts) => this.runtime.embed(embeddingModel, texts, "mean"));
  }
}

async function candidateModel(c: CandidateConfig): Promise<CandidateModel> {
  if (!c.open) return { id: c.id, open: false };
  if (c.kind === "openai") {
    // An open remote model: its shape is stated in the configuration (the weights are on the server).
    const { architecture, blockCount, oProjIn, oProjOut } = c.lora!.shape;
    const oProj = Array.from({ length: blockCount }, (_, layer) => ({ layer, inWidth: oProjIn, outWidth: oProjOut ?? oProjIn }));
    return { id: c.id, open: true, architecture, blockCount, oProj };
  }
  const shape = await readModelShape(c.model).catch((error: Error) => {
    throw new Error(`candidate "${c.id}": cannot read model "${c.model}": ${error.message}`);
  });
  return { id: c.id, open: true, architecture: shape.architecture, blockCount: shape.blockCount, oProj: shape.oProj };
}

/**
 * Caps on the free-text fields of constrained replies, sized so that a whole JSON reply fits in `maxTokens` even
 * when every character costs a token (as with the tiny embedded vocabularies); otherwise weak models fill each field
 * to its cap and the reply is cut off before it closes.
 */
function fieldLimitsFor(maxTokens: number): { summary: number; reasoning: number; argument: number } {
  const chars = Math.max(30, maxTokens - 32);
  return { summary: Math.floor(0.3 * chars), reasoning: Math.floor(0.45 * chars), argument: Math.max(8, Math.floor(0.15 * chars)) };
}

function adapterReport(agent: AgentRole, candidate: string, scale: number, generateMs: number, adapter: LoraAdapter): AdapterReport {
  return {
    agent,
    candidate,
    scale,
    generateMs,
    layers: adapterStats(adapter).map((s, i) => ({
      ...s,
      inWidth: adapter.layers[i].inWidth,
      outWidth: adapter.layers[i].outWidth,
      shapeA: [adapter.layers[i].inWidth, adapter.layers[i].rank],
      shapeB: [adapter.layers[i].rank, adapter.layers[i].outWidth],
    })),
  };
}

function scoreAnswer(task: string, answer: string, gold: string | undefined): EpisodeReport["metrics"] {
  if (gold == null) return null;
  if (task === "multiple-choice") return { correct: isChoiceLetter(answer) ? choiceMatch(answer, gold as never) : 0 };
  const s = answerScores(answer, gold);
  return { exactMatch: s.exactMatch, f1: s.f1 };
}
