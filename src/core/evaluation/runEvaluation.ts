// `haps eval` (and the engine's `evaluate`): the paper's tables for one data set and candidate set, reproducible from
// one spec. Shared by every seed: the models, the routing features of every item and the action-level data (every
// item under every assignment without adapters: the training rows of HAPS and the baselines, and the exact episodes of
// every no-adapter decision on the test items). Then per seed (evaluateSeed.ts): splits, trainings, baselines, and
// every method on the held-out items. Writes results.json, report.md and the charts into the output folder.
import path from "node:path";
import { withAssignmentEmbeddings } from "../baselines/index.ts";
import { answersWithoutAdapter } from "../benchmark/keywordBenchmark.ts";
import { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { TrainingProgress } from "../training/progress.ts";
import { TrainingSession } from "../training/Trainer.ts";
import { AssignmentTable } from "./AssignmentTable.ts";
import type { EvalSpec } from "./EvalSpec.ts";
import { openEvaluationData, type EvaluationData } from "./EvaluationData.ts";
import { alphaKey, evaluateSeed } from "./evaluateSeed.ts";
import { HapsRuns } from "./HapsRuns.ts";
import { buildComparisons } from "./comparisons.ts";
import { summarisePareto } from "./paretoSummary.ts";
import { mean, summarise } from "./summarise.ts";
import type { EvaluationDigest, EvaluationOutcome, EvaluationResults, SeedEvaluation } from "./types.ts";
import { collectCodeVersions, collectVersions } from "./versions.ts";
import { writeEvaluation } from "./writeEvaluation.ts";

export interface EvaluationOptions {
  /** Where results.json, report.md and the charts go; the work folder defaults to `work` inside it. */
  outDir: string;
  /** A runtime to share (the engine's); one is created and disposed otherwise. */
  runtime?: LlamaRuntime;
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
  /** Lines worth showing (what was trained, fitted, written). Defaults to none. */
  log?: (line: string) => void;
}

export async function runEvaluation(spec: EvalSpec, options: EvaluationOptions): Promise<EvaluationOutcome> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  // The code that runs is the code at the start: a commit made during a long run must not be recorded as it.
  const code = collectCodeVersions();
  const outDir = path.resolve(options.outDir);
  const work = spec.work ?? path.join(outDir, "work");
  const log = options.log ?? (() => {});
  const { signal, onProgress } = options;
  const data = await openEvaluationData(spec, work);
  const runtime = options.runtime ?? (await LlamaRuntime.create({ threads: spec.threads }));
  let session: TrainingSession | null = null;
  let runs: HapsRuns | null = null;
  try {
    session = await TrainingSession.open(data.trainSpec, {
      runtime,
      concurrency: spec.concurrency,
      signal,
      onProgress,
      // The benchmark's items are handed over as one pool and split per seed: the session's "splits:" line would mislead.
      log: data.givenItems == null ? log : (line) => void (line.startsWith("splits: ") || log(line)),
      splits: data.givenItems != null ? { train: data.givenItems, valid: [], test: [] } : undefined,
    });
    if (spec.benchmark != null) {
      const b = spec.benchmark;
      log(`${data.name}: per seed and keyword ${b.train} phrasing(s) to train on, ${b.valid} to validate on${b.valid === 0 ? " (validation on the training items)" : ""}, ${b.phrasings - b.train - b.valid} held out`);
    }
    const alpha = session.alpha;
    const alphas = spec.alphas.includes(alpha) ? [...spec.alphas] : [alpha, ...spec.alphas];
    checkDepths(session, spec);
    const table = new AssignmentTable(session.config);

    // Features and action-level data of every item once (all seeds' splits are drawn from these items).
    const items = data.givenItems ?? [...session.splits.train, ...session.splits.valid, ...session.splits.test];
    await session.collect(items);
    const knownTruth = checkKnownTruth(data, session, table);
    if (knownTruth != null) log(`known truth: ${knownTruth.cells} item x assignment cells, ${knownTruth.mismatches.length} not as constructed`);

    // The assignments' descriptors through the router LLM, plus a one-hot identity (see DESCRIPTOR_NOTE).
    const texts = table.space.assignments.map((a) => a.descriptor);
    let vectors: number[][];
    let descriptorError: string | null = null;
    try {
      vectors = await runtime.embed(session.config.router.model, texts, session.config.router.pooling);
    } catch (error) {
      // E.g. descriptions longer than the router's context: the identity alone still tells the assignments apart.
      descriptorError = (error as Error).message;
      log(`the router could not embed the assignment descriptors (${descriptorError}); GraphRouter and IRT-Router get the assignments' identity only`);
      vectors = texts.map(() => new Array<number>(session!.pipeline.policy.config.featureWidth).fill(0));
    }
    const distinct = descriptorError == null && new Set(vectors.map((v) => v.join(","))).size === vectors.length;
    const space = withAssignmentEmbeddings(
      table.space,
      vectors.map((v, i) => Float32Array.from([...v, ...texts.map((_, j) => (i === j ? 1 : 0))])),
    );

    // The router LLM reads every item's routing prompt for HAPS and every learned baseline: its prompt tokens, priced
    // as input tokens of the cheapest candidate (a local router no larger than the candidates), are their overhead.
    const routerModel = (await runtime.loadModel(session.config.router.model, { pooling: session.config.router.pooling })).model;
    const overheadPrice = Math.min(...session.config.candidates.map((c) => c.price.input));
    const routerTokens = new Map(items.map((i) => [i.id, runtime.tokenizeWithBos(routerModel, session!.prepared.get(i.id)!.routingPrompt).length]));
    const overhead = new Map([...routerTokens].map(([id, n]) => [id, (n * overheadPrice) / 1e6]));

    runs = new HapsRuns(session, { concurrency: spec.concurrency, signal, onProgress, log });
    const perSeed: SeedEvaluation[] = [];
    for (const seed of spec.seeds) {
      const s = await evaluateSeed({ spec, session, data, table, space, runs, alpha, alphas, work, overhead, signal, onProgress, log }, seed);
      perSeed.push(s);
      const line = s.methods
        .filter((m) => m.group === "main")
        .map((m) => `${m.name} ${m.byAlpha[alphaKey(alpha)].quality.toFixed(3)}`)
        .join(", ");
      log(`seed ${seed}: test quality at alpha ${alpha}: ${line} (${s.seconds.toFixed(0)} s)`);
    }

    const info = await runtime.info();
    const results: EvaluationResults = {
      format: "haps-evaluation/1",
      dataset: data.name,
      agents: [...table.agents],
      candidates: session.config.candidates.map((c) => ({ id: c.id, open: c.open, description: c.description ?? null, price: c.price })),
      assignments: table.space.assignments.map((a) => a.label),
      trainingAlpha: alpha,
      alphas,
      seeds: spec.seeds,
      spec: { source: spec.source, given: spec.raw },
      versions: collectVersions(code, info),
      knownTruth,
      descriptors: { texts, width: space.assignments[0].embedding!.length, distinctBeforeIdentity: distinct, error: descriptorError },
      overhead: {
        routerPromptTokens: mean([...routerTokens.values()]),
        pricePerMillion: overheadPrice,
        rawCostPerItem: mean([...overhead.values()]),
        paidBy: "HAPS, its ablations and every learned baseline (all read the router LLM's feature); not Random, the fixed assignments or the Oracle",
      },
      perSeed,
      summary: summarise(perSeed),
      comparisons: { level: 0, resamples: 0, bestBaseline: {}, vsBestBaseline: [], regret: [], order: [] },
      pareto: [],
      startedAt,
      seconds: 0,
    };
    results.comparisons = buildComparisons(results);
    results.pareto = summarisePareto(results);
    results.seconds = (performance.now() - started) / 1000;
    const files = await writeEvaluation(results, outDir, { benchmark: spec.benchmark != null });
    log(`written: ${files.resultsFile}, ${files.reportFile}, ${files.charts.length} charts`);
    return { ...files, summary: digest(results) };
  } finally {
    await runs?.dispose();
    await session?.dispose();
    if (options.runtime == null) await runtime.dispose();
  }
}

/** Depth k needs k blocks in every open candidate: refused before any work, with the field named. */
function checkDepths(session: TrainingSession, spec: EvalSpec): void {
  for (const k of spec.ablations.depths) {
    for (const c of session.pipeline.policy.config.candidates) {
      if (c.open && c.blockCount != null && k > c.blockCount) {
        throw new Error(`${spec.source}: ablations.depths: ${k}, but candidate "${c.id}" has only ${c.blockCount} blocks; use depths of at most ${c.blockCount}`);
      }
    }
  }
}

/** The keyword benchmark's construction, checked on the action-level data: each assignment answers what its Student knows. */
function checkKnownTruth(data: EvaluationData, session: TrainingSession, table: AssignmentTable): EvaluationResults["knownTruth"] {
  if (data.benchmarkItems == null) return null;
  const mismatches: string[] = [];
  for (const item of data.benchmarkItems) {
    for (const choice of table.choices()) {
      const expected = answersWithoutAdapter(item, choice) ? 1 : 0;
      const got = session.dataset.get(item.id, choice)?.quality;
      if (got !== expected) mismatches.push(`${item.id} under ${table.label(choice)}: quality ${got}, by construction ${expected}`);
    }
  }
  return { cells: data.benchmarkItems.length * table.size, mismatches };
}

function digest(r: EvaluationResults): EvaluationDigest {
  const key = alphaKey(r.trainingAlpha);
  return {
    dataset: r.dataset,
    seeds: r.seeds,
    trainingAlpha: r.trainingAlpha,
    methods: r.summary.map((m) => ({
      name: m.name,
      group: m.group,
      quality: m.byAlpha[key].quality.mean,
      normalisedCost: m.byAlpha[key].normalisedCost.mean,
      reward: m.byAlpha[key].reward.mean,
      failed: m.byAlpha[key].failed,
    })),
    seconds: r.seconds,
  };
}
