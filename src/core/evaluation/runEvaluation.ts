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
import { mean } from "./summarise.ts";
import { assembleResults, readSeedFiles, reusableSeedFile, seedFilePath, specDigest, writeSeedFile, type SharedResults } from "./seedResults.ts";
import type { EvaluationDigest, EvaluationOutcome, EvaluationResults, SeedEvaluation } from "./types.ts";
import { withWorkLock } from "./workLock.ts";
import { asStored } from "./fitStore.ts";
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
  /**
   * Run only these seeds of the spec and write each one's result to `outDir/seeds/seed-S.json` (no results.json):
   * processes side by side, one per seed, then `combineEvaluation`. Several processes may share one work folder.
   */
  partial?: { seeds: number[] };
}

/** What a partial run gives back: its seeds' files, and no results.json, report or charts (those come from --combine). */
export type PartialOutcome = { seedFiles: string[]; resultsFile: null; reportFile: null; charts: []; summary: null };

export function runEvaluation(spec: EvalSpec, options: EvaluationOptions & { partial?: undefined }): Promise<EvaluationOutcome>;
export function runEvaluation(spec: EvalSpec, options: EvaluationOptions): Promise<EvaluationOutcome | PartialOutcome>;
export async function runEvaluation(spec: EvalSpec, options: EvaluationOptions): Promise<EvaluationOutcome | PartialOutcome> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  // The code that runs is the code at the start: a commit made during a long run must not be recorded as it.
  const code = collectCodeVersions();
  const outDir = path.resolve(options.outDir);
  const work = spec.work ?? path.join(outDir, "work");
  const log = options.log ?? (() => {});
  const { signal, onProgress } = options;
  const seeds = options.partial?.seeds ?? spec.seeds;
  const strange = seeds.filter((s) => !spec.seeds.includes(s));
  if (strange.length > 0 || seeds.length === 0) throw new Error(`--seeds ${seeds.join(",")}: ${strange.length > 0 ? `seed${strange.length > 1 ? "s" : ""} ${strange.join(", ")} not` : "none"} among the spec's seeds (${spec.seeds.join(", ")}) of ${spec.source}`);
  const digestOfSpec = specDigest(spec);
  const runtime = options.runtime ?? (await LlamaRuntime.create({ threads: spec.threads }));
  let session: TrainingSession | null = null;
  let runs: HapsRuns | null = null;
  try {
    // The shared work folder's files (the benchmark's, the action-level data) are written by one process at a time.
    const shared = await withWorkLock(
      work,
      async () => {
        const data = await openEvaluationData(spec, work);
        const opened = await TrainingSession.open(data.trainSpec, {
          runtime,
          concurrency: spec.concurrency,
          signal,
          onProgress,
          // The benchmark's items are handed over as one pool and split per seed: the session's "splits:" line would mislead.
          log: data.givenItems == null ? log : (line) => void (line.startsWith("splits: ") || log(line)),
          splits: data.givenItems != null ? { train: data.givenItems, valid: [], test: [] } : undefined,
        });
        session = opened;
        // Features and action-level data of every item once (all seeds' splits are drawn from these items).
        const items = data.givenItems ?? [...opened.splits.train, ...opened.splits.valid, ...opened.splits.test];
        await opened.collect(items);
        return { data, items, opened };
      },
      { log, signal },
    );
    const { data, items } = shared;
    session = shared.opened;
    if (spec.benchmark != null) {
      const b = spec.benchmark;
      log(`${data.name}: per seed and keyword ${b.train} phrasing(s) to train on, ${b.valid} to validate on${b.valid === 0 ? " (validation on the training items)" : ""}, ${b.phrasings - b.train - b.valid} held out`);
    }
    const alpha = session.alpha;
    const alphas = spec.alphas.includes(alpha) ? [...spec.alphas] : [alpha, ...spec.alphas];
    checkDepths(session, spec);
    const table = new AssignmentTable(session.config);

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

    const info = await runtime.info();
    const sharedResults: SharedResults = {
      format: "haps-evaluation/1",
      dataset: data.name,
      agents: [...table.agents],
      candidates: session.config.candidates.map((c) => ({ id: c.id, open: c.open, description: c.description ?? null, price: c.price })),
      assignments: table.space.assignments.map((a) => a.label),
      trainingAlpha: alpha,
      alphas,
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
      routerFeature: session.pipeline.feature,
    };

    runs = new HapsRuns(session, { concurrency: spec.concurrency, signal, onProgress, log });
    const perSeed: SeedEvaluation[] = [];
    const seedFiles: string[] = [];
    for (const seed of seeds) {
      // A seed this spec and this code finished before (a resumed run, or a partial run into the same folder) is kept.
      const finished = await reusableSeedFile(outDir, seed, digestOfSpec, code);
      // Taken as --combine reads it back (through JSON), so that a plain run and partial runs give the same figures.
      const s = finished?.result ?? asStored(await evaluateSeed({ spec, session, data, table, space, runs, alpha, alphas, work, overhead, signal, onProgress, log }, seed));
      perSeed.push(s);
      if (finished == null) {
        seedFiles.push(await writeSeedFile(outDir, { format: "haps-evaluation-seed/1", specDigest: digestOfSpec, code, shared: sharedResults, result: s, startedAt, endedAt: new Date().toISOString() }));
      } else {
        seedFiles.push(seedFilePath(outDir, seed));
        log(`seed ${seed}: finished before (${seedFilePath(outDir, seed)}), not run again`);
      }
      const line = s.methods
        .filter((m) => m.group === "main")
        .map((m) => `${m.name} ${m.byAlpha[alphaKey(alpha)].quality.toFixed(3)}`)
        .join(", ");
      log(`seed ${seed}: test quality at alpha ${alpha}: ${line} (${s.seconds.toFixed(0)} s)`);
    }
    if (options.partial != null) {
      log(`partial run: seed result${seedFiles.length > 1 ? "s" : ""} written to ${seedFiles.join(", ")}; put the seeds together with --combine`);
      return { seedFiles, resultsFile: null, reportFile: null, charts: [], summary: null };
    }

    const results = assembleResults(asStored(sharedResults), perSeed, { startedAt, seconds: (performance.now() - started) / 1000, processes: 1 });
    const files = await writeEvaluation(results, outDir, { benchmark: spec.benchmark != null });
    log(`written: ${files.resultsFile}, ${files.reportFile}, ${files.charts.length} charts`);
    return { ...files, seedFiles, summary: digest(results) };
  } finally {
    await runs?.dispose();
    await session?.dispose();
    if (options.runtime == null) await runtime.dispose();
  }
}

/**
 * `haps eval --combine`: results.json, report.md and the charts from the seeds' partial results in `outDir/seeds`
 * (refused, naming the file and field, when a seed of the spec is missing, ran from another spec or ran other code than
 * this). The same figures as one plain run of every seed; `seconds` spans the first seed process's start to the last seed's end.
 */
export async function combineEvaluation(spec: EvalSpec, options: Pick<EvaluationOptions, "outDir" | "log">): Promise<EvaluationOutcome> {
  const outDir = path.resolve(options.outDir);
  // Only seeds this code made are put together: a stale or copied-in seed file would otherwise change the figures.
  const files = await readSeedFiles(outDir, spec, collectCodeVersions());
  const first = Math.min(...files.map((f) => Date.parse(f.startedAt)));
  const last = Math.max(...files.map((f) => Date.parse(f.endedAt)));
  const processes = new Set(files.map((f) => f.startedAt)).size;
  const results = assembleResults(files[0].shared, files.map((f) => f.result), { startedAt: new Date(first).toISOString(), seconds: (last - first) / 1000, processes });
  const written = await writeEvaluation(results, outDir, { benchmark: spec.benchmark != null });
  options.log?.(`combined seeds ${spec.seeds.join(", ")} from ${path.join(outDir, "seeds")}: ${written.resultsFile}, ${written.reportFile}, ${written.charts.length} charts`);
  return { ...written, seedFiles: files.map((f) => seedFilePath(outDir, f.result.seed)), summary: digest(results) };
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
