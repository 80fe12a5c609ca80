// The router's pass per query (issue: routing time <= 1.2x one prefill of the query's own tokens), against a plain
// prefill of the query's own tokens on the same router model. The routing prompt's fixed prefix is in the router's KV
// cache. Trained routing needs the feature alone. Zero-shot routing needs the feature and the router LLM's decision,
// both from one pass over the query's tokens on the router's embedding context (RoutingSequence), as HapsPipeline.run
// does, plus the JSON after them.
//
// Where the time goes (the parts below, and the CPU-time figures, which a shared machine's load does not move):
// - the trained route evaluates the query's tokens after the cached prefix on an embedding context; against a plain
//   context's pass over the same tokens after the same prefix, it adds what embeddings mode costs: llama.cpp outputs
//   every token (the output head for each, and the pooling);
// - the zero-shot route adds the JSON the decisions are read after (`decisionTokens`): each agent's distribution is
//   wanted where the prompt asks for that agent's value, after the earlier agents' chosen ids, so those tokens are
//   evaluated whatever the order of decodes; on the bench's tiny vocabulary (about a character a token) that is
//   about as many tokens again as the query's own. They are decoded ahead, for a guess of the earlier agents' choices
//   (the last query's), in as few decodes as the feature allows: with the layer-input feature in the query's own
//   batch (one decode per route), with the output feature in one decode after the query's (its batch pools every
//   token). `readAhead` counts the later agents' decisions whose prompt the guess had decoded, and those it had not.
//
// `layerInput`: the same two routes with the layer-input feature (router.feature {"layerInput": L}, the last layer's
// input), read through the native layer from a plain context that outputs nothing while the feature is read; the
// zero-shot decisions are read on that same sequence. Interleaved with the rest, in the same loop.
import type { AgentConfig, CandidateConfig } from "../../core/config/HapsConfig.ts";
import { defaultAgents } from "../../core/config/HapsConfig.ts";
import { buildRoutingPrompt } from "../../core/router/RoutingPrompt.ts";
import { ZeroShotRouter } from "../../core/router/ZeroShotRouter.ts";
import type { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { summarise, type Summary } from "./stats.ts";

export interface RoutingPassFigures {
  routerModel: string;
  routerWidth: number;
  /** Tokens of the fixed prefix (evaluated once) and of the queries' own parts (median). */
  prefixTokens: number;
  queryTokens: number;
  /** Zero-shot routing per query, the prefix cached: the feature and the router LLM's decision, in one pass. */
  routingMs: Summary;
  /** Trained routing per query: the feature alone (the head's decision is microseconds of arithmetic). */
  trainedRoutingMs: Summary;
  /** One prefill of the query's own tokens (with BOS) on a fresh context of the router model. */
  queryPrefillMs: Summary;
  /** median routing / median query prefill, zero-shot and trained. */
  ratio: number;
  trainedRatio: number;
  /**
   * Where the trained routing's time goes, each against the query prefill: the query's tokens as the routing prompt
   * holds them (median count; a tokenizer may split the problem's first word differently after the prefix than
   * alone), prefilled fresh with BOS; the same tokens on a plain (non-embedding) context that holds the prefix
   * (adds attention over the prefix); the feature adds that an embedding context outputs every token (llama.cpp
   * computes the output head for all of them when embeddings are on) and the pooling.
   */
  trainedParts: {
    restTokens: number;
    sameTokensPrefillMs: Summary;
    afterPrefixPrefillMs: Summary;
    /** median of each over median query prefill. */
    sameTokensRatio: number;
    afterPrefixRatio: number;
    /**
     * Per query, the plain pass after the cached prefix / that query's prefill, in process CPU time (CPU backend only):
     * the floor a feature read from a plain pass over the same tokens (the layer-input feature) can reach.
     */
    afterPrefixCpu?: Summary | null;
  };
  /** The same routing without the cache (feature and decision on the whole prompt, as before): median ms. */
  uncachedRoutingMs: Summary;
  /**
   * Per query, routing / that query's own prefill (queries differ in length, so a ratio per query is steadier than the
   * ratio of medians): zero-shot and trained, in wall time and - on the CPU backend, null on a GPU - in the process's
   * CPU time (every thread's user + system time while the one operation ran): on a machine shared with other jobs the
   * wall time also holds the time the operation waited for a core, its CPU time does not.
   */
  perQueryRatios: { zeroShot: Summary; trained: Summary; zeroShotCpu: Summary | null; trainedCpu: Summary | null };
  /** CPU time per operation (CPU backend only). */
  cpuMs: { routing: Summary; trainedRouting: Summary; queryPrefill: Summary } | null;
  /**
   * Tokens the zero-shot decisions evaluate after the query's own (median): the JSON up to each agent's value, the
   * earlier agents' chosen ids included - each is needed to read that agent's distribution where the prompt asks.
   */
  decisionTokens: number;
  /**
   * The floor of an exact zero-shot route: one plain pass, after the cached prefix, over the query's tokens and the
   * decisions' JSON (up to the last agent's value), with no feature and no distribution read - per query, against that
   * query's prefill (wall, and CPU time on the CPU backend). A route that reads its decisions after that JSON cannot
   * cost less than this; what it costs above it is what the reads, the feature and the bookkeeping add.
   */
  zeroShotFloor: { tokens: number; perQuery: Summary; perQueryCpu: Summary | null };
  /**
   * What reading the guess ahead costs and saves, per feature kind: per query, routing / that query's prefill (CPU time
   * on the CPU backend, wall time on a GPU) when the guess of the earlier agents' choices holds, when it misses (the
   * first agent's guessed id is another candidate), and with no guess decoded ahead (only the fixed JSON head) - the
   * figures ZeroShotRouter's GUESS_THRESHOLD rests on.
   */
  readAheadCost: Record<"output" | "layerInput", { held: Summary; missed: Summary; head: Summary } | null>;
  /** The bench's router's later-agent decisions (timed routes): the guess decoded ahead and held, missed, or not decoded. */
  readAhead: { held: number; missed: number; unguessed: number };
  /** The layer-input feature's routes (last layer's input), or why the native layer cannot give it here. */
  layerInput: LayerInputRoutingFigures | { unavailable: string };
}

export interface LayerInputRoutingFigures {
  layer: number;
  /** Zero-shot: the layer-input feature and the decision, one pass on the plain context. */
  routingMs: Summary;
  /** Trained: the layer-input feature alone. */
  trainedRoutingMs: Summary;
  /** median routing / median query prefill. */
  ratio: number;
  trainedRatio: number;
  perQueryRatios: { zeroShot: Summary; trained: Summary; zeroShotCpu: Summary | null; trainedCpu: Summary | null };
  readAhead: { held: number; missed: number; unguessed: number };
}

/** Wall and process CPU time of `fn` (CPU time: every thread of this process, user + system). */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const QUESTIONS = [
  "Which river flows through the city where the Eiffel Tower stands?",
  "Were Scott Derrickson and Ed Wood of the same nationality?",
  "What government position was held by the woman who portrayed Corliss Archer in the film Kiss and Tell?",
  "Which magazine was started first, Arthur's Magazine or First for Women?",
  "The Oberoi family is part of a hotel company that has a head office in what city?",
  "Who was known by his stage name Aladin and helped organizations improve their performance as a consultant?",
  "What is the length of the track where the 2013 Liqui Moly Bathurst 12 Hour was staged?",
  "Which is a colour: dog, red, run or seven?",
];

const CANDIDATES: CandidateConfig[] = [
  { id: "small", kind: "local", model: "small.gguf", open: true, description: "a 1B instruction-tuned model", price: { input: 0.1, output: 0.2 } },
  { id: "large", kind: "local", model: "large.gguf", open: true, description: "an 8B instruction-tuned model", price: { input: 0.3, output: 0.6 } },
] as CandidateConfig[];

export async function benchRoutingPass(runtime: LlamaRuntime, routerPath: string, repeats: number): Promise<RoutingPassFigures> {
  const agents: AgentConfig[] = defaultAgents;
  const router = new ZeroShotRouter(runtime, routerPath, "mean");
  const model = (await runtime.loadModel(routerPath)).model;
  const prompts = QUESTIONS.map((question) => buildRoutingPrompt(agents, "Answer a multi-hop question by searching the given paragraphs.", { question }, CANDIDATES));
  const route = (i: number) => router.routeWithFeature(prompts[i], agents.map((a) => a.id), CANDIDATES, 0);
  await route(0); // the prefix goes into the cache once
  // The layer-input feature: the last layer's input (the deepest a plain pass gives without the output norm and head).
  const layer = ((model.fileInfo.architectureMetadata as { block_count?: number }).block_count ?? 1) - 1;
  const layerProblem = await runtime.layerInputProblem(routerPath, "mean", layer);
  const layerRouter = new ZeroShotRouter(runtime, routerPath, "mean", layer);
  const layerRoute = (i: number) => layerRouter.routeWithFeature(prompts[i], agents.map((a) => a.id), CANDIDATES, 0);
  if (layerProblem == null) await layerRoute(0);
  const readAhead0 = { ...router.readAhead };
  // The read-ahead comparison: routers that always decode the guess (told which) and that never do.
  const kinds: { kind: "output" | "layerInput"; l: number | undefined }[] = [{ kind: "output", l: undefined }, ...(layerProblem == null ? [{ kind: "layerInput" as const, l: layer }] : [])];
  const compare = kinds.map(({ kind, l }) => ({
    kind,
    guess: new ZeroShotRouter(runtime, routerPath, "mean", l, { readAhead: "guess" }),
    head: new ZeroShotRouter(runtime, routerPath, "mean", l, { readAhead: "head" }),
    ratios: { held: [] as number[], missed: [] as number[], head: [] as number[] },
  }));
  const layerReadAhead0 = { ...layerRouter.readAhead };
  const layerRouting: number[] = [];
  const layerTrained: number[] = [];
  const layerCpu = { routing: [] as number[], trained: [] as number[] };
  const routing: number[] = [];
  const trained: number[] = [];
  const prefill: number[] = [];
  const uncached: number[] = [];
  const sameTokens: number[] = [];
  const afterPrefix: number[] = [];
  const afterPrefixCpu: number[] = [];
  const restTokens: number[] = [];
  const floor = { tokens: [] as number[], wall: [] as number[], cpu: [] as number[] };
  const cpu = { routing: [] as number[], trained: [] as number[], prefill: [] as number[] };
  const decisionTokens: number[] = [];
  const onCpu = runtime.llama.gpu === false;
  const context = await model.createContext({ contextSize: 1024, sequences: 1, threads: runtime.threads });
  const prefixed = await model.createContext({ contextSize: 1024, sequences: 1, threads: runtime.threads });
  try {
    const sequence = context.getSequence();
    const held = prefixed.getSequence();
    // The prefix is the same for every query: held once, each query's tokens evaluated after it and erased again.
    const prefix = runtime.tokenizeWithBos(model, prompts[0].prefix);
    await held.controlledEvaluate(prefix);
    for (let r = 0; r < Math.max(1, Math.ceil(repeats / QUESTIONS.length)); r++) {
      for (let i = 0; i < prompts.length; i++) {
        // Interleaved, so that drift in the machine's load hits all three alike.
        let answer = "";
        const routed = await timed(async () => (answer = (await route(i)).assignment.rawAnswer ?? ""));
        routing.push(routed.wall);
        cpu.routing.push(routed.cpu);
        const featured = await timed(() => runtime.routingFeature(routerPath, prompts[i].prefix, prompts[i].problem, "mean"));
        trained.push(featured.wall);
        cpu.trained.push(featured.cpu);
        if (layerProblem == null) {
          const layerRouted = await timed(() => layerRoute(i));
          layerRouting.push(layerRouted.wall);
          layerCpu.routing.push(layerRouted.cpu);
          const layerFeatured = await timed(() => runtime.routingFeature(routerPath, prompts[i].prefix, prompts[i].problem, "mean", layer));
          layerTrained.push(layerFeatured.wall);
          layerCpu.trained.push(layerFeatured.cpu);
        }
        const own = runtime.tokenizeWithBos(model, prompts[i].problem);
        await sequence.clearHistory();
        const prefilled = await timed(() => sequence.controlledEvaluate(own));
        prefill.push(prefilled.wall);
        cpu.prefill.push(prefilled.cpu);
        // The guess held (this query's own choices, from the route above), missed (another first choice), or none.
        const decided = JSON.parse(answer) as Record<string, string>;
        const other = CANDIDATES.find((c) => c.id !== decided[agents[0].id])!.id;
        const cost = (t: { wall: number; cpu: number }) => (onCpu ? t.cpu / prefilled.cpu : t.wall / prefilled.wall);
        for (const c of compare) {
          c.guess.hintGuess(decided);
          c.ratios.held.push(cost(await timed(() => c.guess.routeWithFeature(prompts[i], agents.map((a) => a.id), CANDIDATES, 0))));
          c.guess.hintGuess({ ...decided, [agents[0].id]: other });
          c.ratios.missed.push(cost(await timed(() => c.guess.routeWithFeature(prompts[i], agents.map((a) => a.id), CANDIDATES, 0))));
          c.ratios.head.push(cost(await timed(() => c.head.routeWithFeature(prompts[i], agents.map((a) => a.id), CANDIDATES, 0))));
        }
        // The JSON evaluated after the query: up to the last agent's value (what the last decision reads after).
        const text = prompts[i].prefix + prompts[i].problem;
        const lastValue = answer.lastIndexOf(': "');
        if (lastValue >= 0) decisionTokens.push(runtime.tokenizeWithBos(model, `${text}\nJSON: ${answer.slice(0, lastValue + 3)}`).length - runtime.tokenizeWithBos(model, text).length);
        let t: number;
        const whole = runtime.tokenizeWithBos(model, prompts[i].prefix + prompts[i].problem);
        if (whole.slice(0, prefix.length).some((token, k) => token !== prefix[k])) throw new Error("routing bench: the prefix tokenizes differently inside the prompt");
        const rest = whole.slice(prefix.length);
        restTokens.push(rest.length);
        await sequence.clearHistory();
        t = performance.now();
        await sequence.controlledEvaluate([whole[0], ...rest]);
        sameTokens.push(performance.now() - t);
        const plainPass = await timed(() => held.controlledEvaluate(rest));
        afterPrefix.push(plainPass.wall);
        afterPrefixCpu.push(plainPass.cpu);
        await held.eraseContextTokenRanges([{ start: prefix.length, end: held.nextTokenIndex }]);
        if (lastValue >= 0) {
          const withJson = runtime.tokenizeWithBos(model, `${text}\nJSON: ${answer.slice(0, lastValue + 3)}`);
          if (withJson.slice(0, prefix.length).some((token, k) => token !== prefix[k])) throw new Error("routing bench: the prefix tokenizes differently inside the prompt");
          const floorPass = await timed(() => held.controlledEvaluate(withJson.slice(prefix.length)));
          floor.tokens.push(withJson.length - prefix.length);
          floor.wall.push(floorPass.wall / prefilled.wall);
          floor.cpu.push(floorPass.cpu / prefilled.cpu);
          await held.eraseContextTokenRanges([{ start: prefix.length, end: held.nextTokenIndex }]);
        }
        t = performance.now();
        await Promise.all([runtime.embed(routerPath, [text], "mean"), ...agents.map((a) => runtime.constrainedChoiceProbabilities(routerPath, `${text}\nJSON: {"${a.id}": "`, CANDIDATES.map((c) => c.id), '"'))]);
        uncached.push(performance.now() - t);
      }
    }
  } finally {
    await context.dispose();
    await prefixed.dispose();
  }
  const routingMs = summarise(routing);
  const trainedRoutingMs = summarise(trained);
  const queryPrefillMs = summarise(prefill);
  const perQuery = (xs: number[], over: number[]) => summarise(xs.map((x, k) => x / over[k]));
  const comparison = (kind: "output" | "layerInput") => {
    const c = compare.find((x) => x.kind === kind);
    return c == null ? null : { held: summarise(c.ratios.held), missed: summarise(c.ratios.missed), head: summarise(c.ratios.head) };
  };
  return {
    routerModel: routerPath,
    routerWidth: model.embeddingVectorSize,
    prefixTokens: runtime.tokenizeWithBos(model, prompts[0].prefix).length,
    queryTokens: summarise(prompts.map((p) => runtime.tokenizeWithBos(model, p.problem).length)).median,
    routingMs,
    trainedRoutingMs,
    queryPrefillMs,
    ratio: routingMs.median / queryPrefillMs.median,
    trainedRatio: trainedRoutingMs.median / queryPrefillMs.median,
    uncachedRoutingMs: summarise(uncached),
    trainedParts: {
      restTokens: summarise(restTokens).median,
      sameTokensPrefillMs: summarise(sameTokens),
      afterPrefixPrefillMs: summarise(afterPrefix),
      sameTokensRatio: summarise(sameTokens).median / queryPrefillMs.median,
      afterPrefixRatio: summarise(afterPrefix).median / queryPrefillMs.median,
      afterPrefixCpu: onCpu ? summarise(afterPrefixCpu.map((x, k) => x / cpu.prefill[k])) : null,
    },
    perQueryRatios: {
      zeroShot: perQuery(routing, prefill),
      trained: perQuery(trained, prefill),
      zeroShotCpu: onCpu ? perQuery(cpu.routing, cpu.prefill) : null,
      trainedCpu: onCpu ? perQuery(cpu.trained, cpu.prefill) : null,
    },
    cpuMs: onCpu ? { routing: summarise(cpu.routing), trainedRouting: summarise(cpu.trained), queryPrefill: summarise(cpu.prefill) } : null,
    decisionTokens: summarise(decisionTokens).median,
    zeroShotFloor: { tokens: summarise(floor.tokens).median, perQuery: summarise(floor.wall), perQueryCpu: onCpu ? summarise(floor.cpu) : null },
    readAheadCost: { output: comparison("output"), layerInput: comparison("layerInput") },
    readAhead: { held: router.readAhead.held - readAhead0.held, missed: router.readAhead.missed - readAhead0.missed, unguessed: router.readAhead.unguessed - readAhead0.unguessed },
    layerInput:
      layerProblem != null
        ? { unavailable: layerProblem }
        : {
            layer,
            routingMs: summarise(layerRouting),
            trainedRoutingMs: summarise(layerTrained),
            ratio: summarise(layerRouting).median / queryPrefillMs.median,
            trainedRatio: summarise(layerTrained).median / queryPrefillMs.median,
            perQueryRatios: {
              zeroShot: perQuery(layerRouting, prefill),
              trained: perQuery(layerTrained, prefill),
              zeroShotCpu: onCpu ? perQuery(layerCpu.routing, cpu.prefill) : null,
              trainedCpu: onCpu ? perQuery(layerCpu.trained, cpu.prefill) : null,
            },
            readAhead: {
              held: layerRouter.readAhead.held - layerReadAhead0.held,
              missed: layerRouter.readAhead.missed - layerReadAhead0.missed,
              unguessed: layerRouter.readAhead.unguessed - layerReadAhead0.unguessed,
            },
          },
  };
}
