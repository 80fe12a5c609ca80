// `npm run proof`: the learning claim as a command. On the keyword benchmark (keywordBenchmark.ts: known truth, a
// group only per-query parameters can answer, a group where the Teacher's model matters, held-out keyword x code book
// x phrasing combinations drawn per seed), over the seeds that proof/margins.json names, trained HAPS must beat:
//   - the best fixed assignment with its best static (query-independent) adapter,
//   - HAPS trained without adapters (routing alone),
//   - on the context group, the static-adapter bound (0.75, shown analytically in keywordBenchmark.ts),
// by the margins in proof/margins.json (committed on its own before the run it judges; no margin lives in code), on
// the held-out reward at alpha 0, and at alpha 0.8 HAPS's reward must not fall below any fixed assignment's or any
// baseline's. The rewards at alpha 0, 0.5 and 0.8 are all reported: HAPS and its ablation are trained once (at the
// spec's alpha 0) and decide at each alpha through the head's softmax((Q - alpha C) / T); the fixed assignments and
// the oracle are chosen per alpha.
//
// For each seed: stratified held-out splits, warm-up and joint RL of HAPS, the same training without the low-level
// router, static adapters (baselines/StaticAdapter.ts: HAPS's generator fed a constant feature, the same estimator and
// budget) on the best fixed assignments at alpha 0 and at the cost regime's alpha, and with --static-under-router under
// HAPS's own router too, kNN and MLP routers on the same feature, then the test split under every method. The
// no-adapter methods' figures come from the action-level data of the test items (the exact episodes those decisions
// run); HAPS's and the static adapters' run as new episodes with their adapters.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { KnnRouter, MlpRouter, StandardizedBaseline, type Baseline, type RoutingExample } from "../baselines/index.ts";
import { episodesWith, trainStaticAdapters, type StaticAdapters } from "../baselines/StaticAdapter.ts";
import { AssignmentTable } from "../evaluation/AssignmentTable.ts";
import { Rng } from "../nn/Rng.ts";
import { loadCheckpoint } from "../checkpoint/checkpoint.ts";
import { readJsonFile } from "../config/readJsonFile.ts";
import type { TaskItem } from "../data/TaskItem.ts";
import type { PreparedQuery } from "../episode/types.ts";
import { reward } from "../metrics/index.ts";
import type { Assignment } from "../router/Assignment.ts";
import { fitCostNormalizer, type ActionRow } from "../training/ActionDataset.ts";
import { allAssignments } from "../training/episodes.ts";
import { evaluateRouter } from "../training/evaluateRouter.ts";
import type { TrainingProgress } from "../training/progress.ts";
import { TrainingSession } from "../training/Trainer.ts";
import { parseTrainSpec, type TrainSpecInput } from "../training/TrainSpec.ts";
import { answersWithoutAdapter, KEYWORD_GROUP_NAMES, STATIC_ADAPTER_BOUND, stratifiedSplits, writeKeywordBenchmark, type BenchmarkItem, type KeywordGroup } from "./keywordBenchmark.ts";

/** proof/margins.json: the pre-registered margins and the seeds of the run they judge. */
export interface ProofMargins {
  /** Seeds of the final run (never used while tuning). */
  seeds: number[];
  /** Held-out reward at alpha 0, mean over seeds: HAPS - (best fixed assignment with its best static adapter). */
  vsBestFixedStatic: number;
  /** Held-out reward at alpha 0, mean over seeds: HAPS - HAPS without adapters. */
  vsNoAdapter: number;
  /** Held-out accuracy on the context group, mean over seeds: HAPS - the static-adapter bound. */
  contextOverStaticBound: number;
  /** At this alpha HAPS's mean held-out reward must be >= every fixed assignment's and every baseline's. */
  costRegimeAlpha: number;
  /** Why these numbers, and when they were committed. */
  note?: string;
}

export const PROOF_ALPHAS = [0, 0.5, 0.8] as const;

export const PROOF_METHODS = [
  "HAPS",
  "HAPS without adapters",
  "best fixed assignment",
  "best fixed assignment + static adapter",
  "static adapter under HAPS's router",
  "kNN router",
  "MLP router",
  "oracle routing (no adapters)",
  "random routing",
] as const;
export type ProofMethod = (typeof PROOF_METHODS)[number];
/** Not a baseline: the best no-adapter assignment per item, known from the test items' own outcomes. */
const REFERENCES: readonly ProofMethod[] = ["oracle routing (no adapters)"];

export interface ProofOptions {
  /** Where the benchmark's models, data, action-level rows and checkpoints go. */
  workDir: string;
  /** Where results.json and report.md go. */
  resultsDir: string;
  /** proof/margins.json. Its seeds are the run's unless `seeds` is given (a development run, which is not judged). */
  marginsFile: string;
  seeds?: number[];
  /** A seconds-long run of the whole path (few items, few steps): the margins are reported but not required. */
  smoke?: boolean;
  /** Also train static adapters under HAPS's own router (one more training per seed). Defaults to false. */
  staticUnderRouter?: boolean;
  /**
   * Run the seeds and write each one's results to `workDir/seed-results/` without judging: one process per seed can
   * then run side by side (each llama.cpp process keeps its own threads), and `combine` judges them together.
   */
  partial?: boolean;
  /** Judge the pre-registered seeds from `workDir/seed-results/` (written by partial runs) instead of training. */
  combine?: boolean;
  threads?: number;
  /** With `combine`: when the shared preparation (prepareProof) began, so that the stated time covers it (ms, Date.now()). */
  preparedSince?: number;
  onProgress?: (p: TrainingProgress) => void;
  log?: (line: string) => void;
}

interface MethodScore {
  quality: number;
  normalisedCost: number;
  reward: number;
  /** Held-out quality per keyword group. */
  byGroup: Record<string, number>;
  /** How often each assignment was chosen (teacher/student ids). */
  assignments: Record<string, number>;
}

type AlphaKey = `${number}`;

interface SeedResult {
  seed: number;
  /** Per alpha: every method's score, and every fixed assignment's (without adapters). */
  byAlpha: Record<AlphaKey, { methods: Record<ProofMethod, MethodScore>; fixed: Record<string, MethodScore>; bestFixed: string; bestFixedStatic: string }>;
  hapsValidReward: number;
  hapsRollouts: number;
  staticAdapters: { assignment: string; bestValidReward: number; rollouts: number }[];
  trainSeconds: number;
}

interface Difference {
  perSeed: number[];
  mean: number;
  std: number;
}

export interface ProofResults {
  claim: string;
  margins: ProofMargins;
  /** Whether these are the pre-registered seeds (a judged run) or a development run. */
  judged: boolean;
  smoke: boolean;
  alphas: readonly number[];
  seeds: number[];
  /** The methods this run compared (the static adapter under HAPS's router only when asked for). */
  methods: ProofMethod[];
  staticAdapterBound: number;
  testItemsPerSeed: number;
  knownTruth: { rows: number; mismatches: string[] };
  perSeed: SeedResult[];
  summary: Record<AlphaKey, Record<ProofMethod, { rewardMean: number; rewardStd: number; qualityMean: number; costMean: number; byGroup: Record<string, number> }>>;
  differences: { vsBestFixedStatic: Difference; vsNoAdapter: Difference; contextOverStaticBound: Difference; costRegime: Record<string, Difference> };
  passed: { vsBestFixedStatic: boolean; vsNoAdapter: boolean; contextOverStaticBound: boolean; costRegime: boolean; all: boolean };
  /** Wall time: of the one process, or from the first seed process's start to the last one's end (`processes`). */
  seconds: number;
  /** Seed processes that ran side by side (1: one process ran every seed). */
  processes: number;
  loadAverage: { start: number[]; end: number[] };
  settings: { sft: unknown; rl: unknown; config: string };
}

/** Reads and checks proof/margins.json. */
export async function loadProofMargins(file: string): Promise<ProofMargins> {
  const raw = (await readJsonFile(file, "the proof's margins")) as Partial<ProofMargins>;
  const problems: string[] = [];
  if (!Array.isArray(raw.seeds) || raw.seeds.length === 0 || raw.seeds.some((s) => !Number.isInteger(s))) problems.push("seeds: expected a non-empty array of integers");
  for (const key of ["vsBestFixedStatic", "vsNoAdapter", "contextOverStaticBound", "costRegimeAlpha"] as const) {
    if (typeof raw[key] !== "number" || !Number.isFinite(raw[key])) problems.push(`${key}: expected a number`);
  }
  if (problems.length > 0) throw new Error(`${file}: ${problems.join("; ")}`);
  return raw as ProofMargins;
}

/** A short digest of the benchmark's models, configuration and items. */
async function benchmarkDigest(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const name of (await readdir(dir)).sort()) {
    hash.update(name);
    hash.update(await readFile(path.join(dir, name)));
  }
  return hash.digest("hex").slice(0, 12);
}

const key = (a: Readonly<Record<string, string>>) => `${a.teacher}/${a.student}`;

export async function runProof(options: ProofOptions): Promise<ProofResults> {
  return (await proofRun(options, false))!;
}

/**
 * What every seed of a run shares, done once: the benchmark's files, the action-level rows of every item and the check
 * of the known truth. Seed processes started afterwards (`haps proof` runs them side by side) find them and reuse them.
 */
export async function prepareProof(options: Pick<ProofOptions, "workDir" | "marginsFile" | "smoke" | "threads" | "onProgress" | "log">): Promise<void> {
  await proofRun({ ...options, resultsDir: "" }, true);
}

async function proofRun(options: ProofOptions, prepareOnly: boolean): Promise<ProofResults | null> {
  const started = performance.now();
  const { loadavg } = await import("node:os");
  const loadStart = loadavg();
  const log = options.log ?? (() => {});
  const margins = await loadProofMargins(options.marginsFile);
  const smoke = options.smoke === true;
  const seeds = options.seeds ?? (smoke ? [1] : margins.seeds);
  const judged = !smoke && options.seeds == null;
  const seedResultsDir = path.join(options.workDir, "seed-results");
  if (options.combine) return await combineSeedResults(options, margins, seedResultsDir);
  const startedAt = Date.now();
  const underRouterOn = options.staticUnderRouter === true || smoke;
  const methods = PROOF_METHODS.filter((m) => m !== "static adapter under HAPS's router" || underRouterOn);
  const benchmark = await writeKeywordBenchmark(path.join(options.workDir, "benchmark"), { scale: 4 });
  // The smoke run keeps two phrasings per keyword (one to train on, one held out).
  const items = smoke ? benchmark.items.filter((i) => i.phrasing < 2) : benchmark.items;
  const perUnit = smoke ? { train: 1, valid: 0 } : { train: 6, valid: 2 };
  const trainAlpha = 0;
  const specInput: TrainSpecInput = {
    config: benchmark.configFile,
    data: { format: "jsonl", file: benchmark.dataFile, sizes: { train: 1, valid: 0, test: 0 } },
    // Named after the benchmark's files, so that a run on changed models (a new version of the benchmark) starts
    // afresh beside the old one instead of meeting action-level data it must refuse.
    out: path.join(options.workDir, `runs-${await benchmarkDigest(benchmark.dir)}`),
    alpha: trainAlpha,
    threads: options.threads,
    sft: { target: "tuples", epochs: smoke ? 5 : 100, batchSize: 8, lr: 3e-3 },
    // RL settings chosen on development seeds 1, 101 and 102 only (docs/proof-dev): the context group needs ~400
    // context items on one generator, and the run of seeds 9101-9103 gave each about 120 (5 epochs, assignments drawn
    // at temperature 1, i.e. nearly uniformly). A low temperature spends rollouts where the head expects adapters to act,
    // settledRevisit 0.25 skips most pairs that were right on both episodes (no signal), 20 epochs with patience 6;
    // anchorWeight 0.25 lets the head's Q follow what the sampled assignments achieved with their adapters (the
    // rollouts then concentrate on the assignment whose generator answers), and tieKeepsLater keeps training past a
    // saturated validation (the 34 validation items reached 32 right a third into the run on every development seed).
    // After the run of seeds 9201-9203 (context group 0.875 against 0.90), again on the development seeds only: at
    // temperature 0.2 the context items kept moving between the two Students' generators, so neither got the budget;
    // at 0.05 the split settles early. Validating the mean of the last 3 validation points' generators and trunk (the
    // head live, averageLast) removed most of the checkpoint-to-checkpoint noise the 34 validation items cannot see.
    // After the run of seeds 9301-9303 (context 0.708): on seed 9301 validation sat at one value for six validations
    // and patience 6 stopped RL before the group was learnt; with patience 20 (all 20 epochs) that seed went on to
    // improve (docs/proof-dev). The run keeps the best validation's weights either way.
    // After the run of seeds 9401-9403 (context 0.854, one seed at 0.719), on development seeds 1, 101, 102, 9301 and
    // the now known 9401-9403: held-out context accuracy still moved by 0.1-0.2 between checkpoints that validation
    // could not tell apart. The idea tried: an item right under both antithetic episodes gives no signal, and with
    // sigma 0.75 an item is right under both only when it survives larger perturbations of its adapter, so training
    // goes on pushing it away from the decision boundary. With sigma 0.75 and 30 epochs the seven development seeds'
    // held-out context accuracy went from 0.893 on average (0.719-0.969) to 0.964 (0.875-1.000); sigma 0.75 with 20
    // epochs gave 0.844 / 0.969 / 0.969 on seeds 9301-9403, and 30 epochs at sigma 0.5 0.813 / 0.875 / 0.938.
    // The static-adapter baselines train with these same settings (baselines/StaticAdapter.ts).
    rl: smoke
      ? { epochs: 1, batchSize: 4, validateEvery: 1000, patience: 1 }
      : { epochs: 30, batchSize: 4, lr: 1e-3, generatorLr: 6e-3, sigma: 0.75, explore: "b", temperature: 0.05, settledRevisit: 0.25, anchorWeight: 0.25, tieKeepsLater: true, averageLast: 3, validateEvery: 102, patience: 20 },
  };
  const spec = await parseTrainSpec(specInput, "the proof's training spec", process.cwd());
  const asItem = (i: BenchmarkItem): TaskItem => ({ id: i.id, task: "multiple-choice", question: i.question, choices: i.choices, answer: i.answer });
  const session = await TrainingSession.open(spec, { splits: { train: items.map(asItem), valid: [], test: [] }, concurrency: 2, onProgress: options.onProgress, log });
  try {
    // Action-level data of every item once: training rows for each seed's train split, exact episodes for the
    // no-adapter methods on its test split, and the check of the known truth.
    await session.collect(items.map(asItem));
    const assignments = allAssignments(session.pipeline);
    const rowOf = (item: string, a: Record<string, string>): ActionRow => {
      const row = session.dataset.get(item, a);
      if (row == null) throw new Error(`no action-level row for item ${item} under ${JSON.stringify(a)}`);
      return row;
    };
    const mismatches: string[] = [];
    for (const item of items) {
      for (const a of assignments) {
        const expected = answersWithoutAdapter(item, a) ? 1 : 0;
        const got = rowOf(item.id, a).quality;
        if (got !== expected) mismatches.push(`${item.id} under ${key(a)}: quality ${got}, by construction ${expected}`);
      }
    }
    if (mismatches.length > 0) throw new Error(`the benchmark's models do not behave as constructed (${mismatches.length} cells):\n  ${mismatches.slice(0, 10).join("\n  ")}`);
    log(`known truth checked: ${items.length * assignments.length} item x assignment cells as constructed`);
    if (prepareOnly) return null;

    const perSeed: SeedResult[] = [];
    for (const seed of seeds) {
      const t0 = performance.now();
      const split = stratifiedSplits(items, seed, perUnit);
      const train = split.train.map(asItem);
      const valid = split.valid.map(asItem);
      const test = split.test;
      const normalizer = fitCostNormalizer(session.dataset.rows(train.map((i) => i.id)));
      const dir = path.join(spec.out, `seed-${seed}`);
      const validation = valid.length > 0 ? valid : train; // the smoke run has no validation split
      const haps = await session.trainSeed(seed, { train, valid: validation }, path.join(dir, "haps"), normalizer);
      const noAdapter = await session.trainSeed(seed, { train, valid: validation }, path.join(dir, "no-adapter"), normalizer, { rl: { adapters: false, patience: 1 } });
      const hapsPolicy = (await loadCheckpoint(haps.checkpoint, session.pipeline.policy.config)).policy;
      const ablation = (await loadCheckpoint(noAdapter.checkpoint, session.pipeline.policy.config)).policy;
      const [trainQ, validQ, testQ] = [await session.prepare(train), await session.prepare(validation), await session.prepare(test.map(asItem))];
      const feature = (q: PreparedQuery) => q.feature;
      const hapsRoute = (alpha: number) => (q: PreparedQuery): Assignment => hapsPolicy.head.toAssignment(hapsPolicy.head.argmax(feature(q), alpha));

      // The best fixed assignment at each alpha, chosen on the training rows (ties: the cheaper), never on the test.
      const rowReward = (row: ActionRow, alpha: number) => reward(row.quality, normalizer.normalise(row.cost), alpha);
      const trainScore = (a: Record<string, string>, alpha: number) => mean(train.map((i) => rowReward(rowOf(i.id, a), alpha)));
      const trainCost = (a: Record<string, string>) => mean(train.map((i) => rowOf(i.id, a).cost));
      const bestFixedAt = (alpha: number) =>
        assignments.reduce((best, a) => {
          const d = trainScore(a, alpha) - trainScore(best, alpha);
          return d > 1e-12 || (Math.abs(d) <= 1e-12 && trainCost(a) < trainCost(best)) ? a : best;
        });
      const alphas = PROOF_ALPHAS;

      // Static adapters: under HAPS's own router (decisions at the training alpha), and on the best fixed assignment
      // at alpha 0 and at the cost regime's alpha (one training when they coincide); at each alpha the proof takes the
      // better of these on the validation items.
      type Route = (alpha: number) => (q: PreparedQuery) => Assignment;
      const staticRuns: { assignment: string; route: Route; result: StaticAdapters }[] = [];
      const staticTrain = async (name: string, route: Route) => {
        const result = await trainStaticAdapters({
          pipeline: session.pipeline.withPolicy(hapsPolicy, normalizer),
          policyConfig: session.pipeline.policy.config,
          route: route(trainAlpha),
          train: trainQ,
          valid: validQ,
          settings: spec.rl,
          alpha: trainAlpha,
          normalizer,
          seed,
          onProgress: options.onProgress,
        });
        log(`seed ${seed}: static adapters (${name}): best validation reward ${result.bestValidReward.toFixed(4)} after ${result.bestAtItems} items (${result.rollouts} episodes)`);
        staticRuns.push({ assignment: name, route, result });
      };
      if (underRouterOn) await staticTrain("HAPS's router", hapsRoute);
      const fixedChoices = [...new Map([0, margins.costRegimeAlpha].map((alpha) => [key(bestFixedAt(alpha)), bestFixedAt(alpha)])).values()];
      for (const a of fixedChoices) await staticTrain(key(a), () => () => session.pipeline.fixedAssignment(a));
      // kNN and MLP routers on the same (standardised) routing feature, fitted on the training rows, k and the epoch
      // chosen on validation: the sanity baselines a routing claim needs.
      const table = new AssignmentTable(session.config);
      const example = (item: TaskItem): RoutingExample => {
        const rows = table.choices().map((c) => rowOf(item.id, c));
        return { id: item.id, query: item.question, embedding: session.prepared.get(item.id)!.feature, quality: rows.map((r) => r.quality), cost: rows.map((r) => normalizer.normalise(r.cost)) };
      };
      const routers: Record<"kNN router" | "MLP router", Baseline> = { "kNN router": new StandardizedBaseline(new KnnRouter()), "MLP router": new StandardizedBaseline(new MlpRouter()) };
      for (const [name, router] of Object.entries(routers)) router.fit(train.map(example), valid.map(example), table.space, { rng: Rng.forKey(seed, `proof:${name}`), alphas: [...PROOF_ALPHAS] });
      const trainSeconds = (performance.now() - t0) / 1000;

      const score = (decisions: { item: BenchmarkItem; assignment: Record<string, string>; quality: number; cost: number }[], alpha: number): MethodScore => {
        const byGroup: Record<string, number[]> = {};
        const chosen: Record<string, number> = {};
        let q = 0;
        let c = 0;
        let r = 0;
        for (const d of decisions) {
          const cost = normalizer.normalise(d.cost);
          q += d.quality;
          c += cost;
          r += reward(d.quality, cost, alpha);
          (byGroup[d.item.group] ??= []).push(d.quality);
          chosen[key(d.assignment)] = (chosen[key(d.assignment)] ?? 0) + 1;
        }
        const n = Math.max(1, decisions.length);
        return { quality: q / n, normalisedCost: c / n, reward: r / n, byGroup: Object.fromEntries(Object.entries(byGroup).map(([g, v]) => [g, mean(v)])), assignments: chosen };
      };
      const fromRows = (choose: (item: BenchmarkItem) => Record<string, string>, alpha: number) =>
        score(
          test.map((item) => {
            const assignment = choose(item);
            const row = rowOf(item.id, assignment);
            return { item, assignment, quality: row.quality, cost: row.cost };
          }),
          alpha,
        );
      // An episode depends on the item, the assignment and the adapters, not on alpha (greedy decoding): each runs once.
      const staticEpisodes = new Map<string, { assignment: Record<string, string>; quality: number; cost: number }>();
      const staticScore = async (run: (typeof staticRuns)[number], queries: readonly PreparedQuery[], its: readonly BenchmarkItem[], alpha: number) => {
        const route = run.route(alpha);
        const cacheKey = (q: PreparedQuery) => `${run.assignment}|${q.request.id}|${key(route(q).choice)}`;
        const missing = queries.filter((q) => !staticEpisodes.has(cacheKey(q)));
        const ran = await episodesWith({ pipeline: session.pipeline, route, alpha, normalizer }, missing, run.result.adapters);
        ran.forEach((e, k) => staticEpisodes.set(cacheKey(missing[k]), e));
        return score(queries.map((q, k) => ({ ...staticEpisodes.get(cacheKey(q))!, item: its[k] })), alpha);
      };

      const byAlpha = {} as SeedResult["byAlpha"];
      for (const alpha of alphas) {
        // HAPS: its trained head at this alpha and its generated adapters, run as episodes.
        const evaluated = await evaluateRouter(session.pipeline.withPolicy(hapsPolicy, normalizer), testQ, { alpha, adapters: "generated", normalizer, concurrency: 2 });
        const hapsScore = score(evaluated.map((e, k) => ({ item: test[k], assignment: e.assignment, quality: e.quality, cost: e.cost })), alpha);
        const ablationScore = fromRows((item) => ablation.head.toAssignment(ablation.head.argmax(session.prepared.get(item.id)!.feature, alpha)).choice, alpha);
        const fixed = Object.fromEntries(assignments.map((a) => [key(a), fromRows(() => a, alpha)]));
        const bestFixed = bestFixedAt(alpha);
        const oracleScore = fromRows((item) => assignments.reduce((best, a) => (rowReward(rowOf(item.id, a), alpha) > rowReward(rowOf(item.id, best), alpha) ? a : best)), alpha);
        // Random routing: the expectation over a uniform draw, exactly (the mean over assignments).
        const all = Object.values(fixed);
        const randomScore: MethodScore = {
          quality: mean(all.map((s) => s.quality)),
          normalisedCost: mean(all.map((s) => s.normalisedCost)),
          reward: mean(all.map((s) => s.reward)),
          byGroup: Object.fromEntries(Object.keys(all[0].byGroup).map((g) => [g, mean(all.map((s) => s.byGroup[g]))])),
          assignments: Object.fromEntries(assignments.map((a) => [key(a), test.length / assignments.length])),
        };
        const underRouterRun = staticRuns.find((r) => r.assignment === "HAPS's router");
        const underRouter = underRouterRun == null ? null : await staticScore(underRouterRun, testQ, test, alpha);
        // The best fixed assignment with its static adapter: the fixed runs' best on the validation items at this alpha.
        const validItems = split.valid.length > 0 ? split.valid : split.train;
        let bestStatic: { name: string; valid: number } | null = null;
        for (const run of staticRuns.filter((r) => r.assignment !== "HAPS's router")) {
          const v = (await staticScore(run, validQ, validItems, alpha)).reward;
          if (bestStatic == null || v > bestStatic.valid) bestStatic = { name: run.assignment, valid: v };
        }
        const fixedStatic = await staticScore(staticRuns.find((r) => r.assignment === bestStatic!.name)!, testQ, test, alpha);
        const routed = (router: Baseline) => fromRows((item) => table.choiceAt(router.choose(example(asItem(item)), alpha)), alpha);
        byAlpha[`${alpha}`] = {
          // Without the static adapter under HAPS's router when it was not trained (the results list `methods`).
          methods: {
            "kNN router": routed(routers["kNN router"]),
            "MLP router": routed(routers["MLP router"]),
            HAPS: hapsScore,
            "HAPS without adapters": ablationScore,
            "best fixed assignment": fixed[key(bestFixed)],
            "best fixed assignment + static adapter": fixedStatic,
            ...(underRouter == null ? {} : { "static adapter under HAPS's router": underRouter }),
            "oracle routing (no adapters)": oracleScore,
            "random routing": randomScore,
          } as Record<ProofMethod, MethodScore>,
          fixed,
          bestFixed: key(bestFixed),
          bestFixedStatic: bestStatic!.name,
        };
        log(
          `seed ${seed}, alpha ${alpha}: held-out reward ` +
            methods.map((m) => `${m} ${byAlpha[`${alpha}`].methods[m].reward.toFixed(3)}`).join(", ") +
            `; HAPS on context ${hapsScore.byGroup.context?.toFixed(3)}`,
        );
      }
      perSeed.push({
        seed,
        byAlpha,
        hapsValidReward: haps.rl.bestValidReward,
        hapsRollouts: haps.rl.rollouts,
        staticAdapters: staticRuns.map((r) => ({ assignment: r.assignment, bestValidReward: r.result.bestValidReward, rollouts: r.result.rollouts })),
        trainSeconds,
      });
    }

    const knownTruth = { rows: items.length * assignments.length, mismatches };
    const settings = { sft: spec.sft, rl: spec.rl, config: path.relative(process.cwd(), benchmark.configFile) };
    const loadEnd = loadavg().map(round2);
    if (options.partial) {
      await mkdir(seedResultsDir, { recursive: true });
      for (const seedResult of perSeed) {
        const file: SeedFile = { seedResult, knownTruth, methods, settings, startedAt, endedAt: Date.now(), loadStart: loadStart.map(round2), loadEnd };
        await writeFile(path.join(seedResultsDir, `seed-${seedResult.seed}.json`), `${JSON.stringify(file, null, 2)}\n`);
      }
    }
    const results = assemble({ margins, judged: judged && !options.partial, smoke, seeds, methods, knownTruth, perSeed, seconds: (performance.now() - started) / 1000, processes: 1, loadAverage: { start: loadStart.map(round2), end: loadEnd }, settings });
    if (!options.partial) await writeResults(options.resultsDir, results);
    return results;
  } finally {
    await session.dispose();
  }
}

/** What a partial run writes per seed (runProof's `partial`), and `combine` reads. */
interface SeedFile {
  seedResult: SeedResult;
  knownTruth: ProofResults["knownTruth"];
  methods: ProofMethod[];
  settings: ProofResults["settings"];
  startedAt: number;
  endedAt: number;
  loadStart: number[];
  loadEnd: number[];
}

async function writeResults(dir: string, results: ProofResults): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(dir, "report.md"), proofReport(results));
}

/** Judges the pre-registered seeds from the files their partial runs wrote (one process per seed, side by side). */
async function combineSeedResults(options: ProofOptions, margins: ProofMargins, dir: string): Promise<ProofResults> {
  // A development run side by side combines its own seeds (not judged); a judged run the pre-registered ones.
  const seeds = options.seeds ?? margins.seeds;
  const judged = options.seeds == null && options.smoke !== true;
  const files: SeedFile[] = [];
  for (const seed of seeds) {
    const file = path.join(dir, `seed-${seed}.json`);
    files.push((await readJsonFile(file, `the proof's results for seed ${seed} (run \`haps proof --partial --seeds ${seed}\` first)`)) as SeedFile);
  }
  const same = (f: SeedFile) => JSON.stringify([f.methods, f.settings, f.knownTruth]) === JSON.stringify([files[0].methods, files[0].settings, files[0].knownTruth]);
  const odd = files.filter((f) => !same(f)).map((f) => f.seedResult.seed);
  if (odd.length > 0) throw new Error(`${dir}: seeds ${odd.join(", ")} ran with other settings, methods or models than seed ${files[0].seedResult.seed}; rerun them`);
  const first = files.reduce((a, b) => (b.startedAt < a.startedAt ? b : a));
  const last = files.reduce((a, b) => (b.endedAt > a.endedAt ? b : a));
  const results = assemble({
    margins,
    judged,
    smoke: options.smoke === true,
    seeds,
    methods: files[0].methods,
    knownTruth: files[0].knownTruth,
    perSeed: files.map((f) => f.seedResult),
    seconds: (last.endedAt - Math.min(first.startedAt, options.preparedSince ?? Infinity)) / 1000,
    processes: files.length,
    loadAverage: { start: first.loadStart, end: last.loadEnd },
    settings: files[0].settings,
  });
  await writeResults(options.resultsDir, results);
  return results;
}

/** The summary over seeds, the differences the margins judge, and whether each margin is met. */
function assemble(r: Pick<ProofResults, "margins" | "judged" | "smoke" | "seeds" | "methods" | "knownTruth" | "perSeed" | "seconds" | "processes" | "loadAverage" | "settings">): ProofResults {
  const { margins, perSeed, methods } = r;
  const summary = {} as ProofResults["summary"];
  for (const alpha of PROOF_ALPHAS) {
    summary[`${alpha}`] = Object.fromEntries<ProofResults["summary"][AlphaKey][ProofMethod]>(
      methods.map((m) => {
        const scores = perSeed.map((s) => s.byAlpha[`${alpha}`].methods[m]);
        const rewards = scores.map((s) => s.reward);
        const byGroup = Object.fromEntries(KEYWORD_GROUP_NAMES.map((g) => [g, mean(scores.map((s) => s.byGroup[g] ?? NaN))]));
        return [m, { rewardMean: mean(rewards), rewardStd: std(rewards), qualityMean: mean(scores.map((s) => s.quality)), costMean: mean(scores.map((s) => s.normalisedCost)), byGroup }];
      }),
    ) as ProofResults["summary"][AlphaKey];
  }
  const difference = (values: number[]): Difference => ({ perSeed: values, mean: mean(values), std: std(values) });
  const at0 = (s: SeedResult) => s.byAlpha["0"].methods;
  const regime = `${margins.costRegimeAlpha}` as AlphaKey;
  const costRegime: Record<string, Difference> = {};
  if (perSeed.length > 0 && perSeed.every((s) => s.byAlpha[regime] != null)) {
    for (const m of methods.filter((m) => m !== "HAPS" && !REFERENCES.includes(m))) costRegime[m] = difference(perSeed.map((s) => s.byAlpha[regime].methods.HAPS.reward - s.byAlpha[regime].methods[m].reward));
    for (const a of Object.keys(perSeed[0].byAlpha[regime].fixed)) costRegime[`fixed ${a}`] = difference(perSeed.map((s) => s.byAlpha[regime].methods.HAPS.reward - s.byAlpha[regime].fixed[a].reward));
  }
  const differences: ProofResults["differences"] = {
    vsBestFixedStatic: difference(perSeed.map((s) => at0(s).HAPS.reward - at0(s)["best fixed assignment + static adapter"].reward)),
    vsNoAdapter: difference(perSeed.map((s) => at0(s).HAPS.reward - at0(s)["HAPS without adapters"].reward)),
    contextOverStaticBound: difference(perSeed.map((s) => (at0(s).HAPS.byGroup.context ?? NaN) - STATIC_ADAPTER_BOUND)),
    costRegime,
  };
  const passed = {
    vsBestFixedStatic: differences.vsBestFixedStatic.mean >= margins.vsBestFixedStatic,
    vsNoAdapter: differences.vsNoAdapter.mean >= margins.vsNoAdapter,
    contextOverStaticBound: differences.contextOverStaticBound.mean >= margins.contextOverStaticBound,
    costRegime: Object.keys(costRegime).length > 0 && Object.values(costRegime).every((d) => d.mean >= 0),
    all: false,
  };
  passed.all = passed.vsBestFixedStatic && passed.vsNoAdapter && passed.contextOverStaticBound && passed.costRegime;
  return {
    claim:
      "On held-out keyword x code book x phrasing combinations of a benchmark with known truth, trained HAPS beats the best fixed assignment with its best static adapter, its own no-adapter ablation and (on the context group) the static-adapter bound by the pre-registered margins (held-out reward at alpha 0, mean over seeds), and at the cost regime's alpha its reward is not below any fixed assignment's or baseline's.",
    ...r,
    alphas: PROOF_ALPHAS,
    staticAdapterBound: STATIC_ADAPTER_BOUND,
    testItemsPerSeed: perSeed[0] ? Object.values(at0(perSeed[0]).HAPS.assignments).reduce((a, b) => a + b, 0) : 0,
    summary,
    differences,
    passed,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

const GROUP_NOTES: Record<KeywordGroup, string> = {
  small: "only the small model has the words",
  wide: "only the wide model has the words",
  review: "a wide Teacher's revision, or a wide Student",
  context: `letter set by keyword AND code book (static adapters <= ${STATIC_ADAPTER_BOUND})`,
};

/** The Markdown report written beside results.json. */
export function proofReport(r: ProofResults): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
  const pm = (d: Difference) => `${f(d.mean)} +- ${f(d.std)}`;
  const yes = (b: boolean) => (b ? "yes" : "NO");
  const m = r.margins;
  const at = (alpha: number) => r.summary[`${alpha}`];
  const lines = [
    "# HAPS learning proof (keyword benchmark v2)",
    "",
    r.smoke ? "**Smoke run** (two phrasings per keyword, a few steps): the margins are reported, not required.\n" : "",
    !r.smoke && !r.judged ? "**Development run** (seeds given on the command line, not the pre-registered ones): not a judged run.\n" : "",
    `Claim: ${r.claim}`,
    "",
    `Margins (proof/margins.json, committed before this run): HAPS - best fixed with its static adapter >= ${m.vsBestFixedStatic}; HAPS - HAPS without adapters >= ${m.vsNoAdapter}; HAPS on the context group - static-adapter bound (${r.staticAdapterBound}) >= ${m.contextOverStaticBound}; at alpha ${m.costRegimeAlpha}, HAPS >= every fixed assignment and every baseline.`,
    `Seeds ${r.seeds.join(", ")}; ${r.testItemsPerSeed} held-out items per seed (new keyword x code book x phrasing combinations); ${r.seconds.toFixed(0)} s in all (${r.processes === 1 ? "one process" : `${r.processes} seed processes side by side, each with its own llama.cpp threads`}); load average (1, 5, 15 min) ${r.loadAverage.start.join(", ")} at the start and ${r.loadAverage.end.join(", ")} at the end.`,
    `Known truth: ${r.knownTruth.rows} item x assignment cells ran as constructed (${r.knownTruth.mismatches.length} mismatches).`,
    "HAPS and HAPS without adapters are trained once (alpha 0) and decide at each alpha; fixed assignments and the best fixed one's static adapter are chosen per alpha (on the training rows, and on validation for the static adapter).",
    "",
    "## Pre-registered margins",
    "",
    "| difference (held-out) | per seed | mean +- std | margin | met |",
    "| --- | --- | --- | --- | --- |",
    `| HAPS - best fixed + static adapter (alpha 0) | ${r.differences.vsBestFixedStatic.perSeed.map(f).join(", ")} | ${pm(r.differences.vsBestFixedStatic)} | ${m.vsBestFixedStatic} | ${yes(r.passed.vsBestFixedStatic)} |`,
    `| HAPS - HAPS without adapters (alpha 0) | ${r.differences.vsNoAdapter.perSeed.map(f).join(", ")} | ${pm(r.differences.vsNoAdapter)} | ${m.vsNoAdapter} | ${yes(r.passed.vsNoAdapter)} |`,
    `| HAPS on context - static bound ${r.staticAdapterBound} | ${r.differences.contextOverStaticBound.perSeed.map(f).join(", ")} | ${pm(r.differences.contextOverStaticBound)} | ${m.contextOverStaticBound} | ${yes(r.passed.contextOverStaticBound)} |`,
    ...Object.entries(r.differences.costRegime).map(([name, d]) => `| alpha ${m.costRegimeAlpha}: HAPS - ${name} | ${d.perSeed.map(f).join(", ")} | ${pm(d)} | 0 | ${yes(d.mean >= 0)} |`),
    "",
    "## Held-out reward per alpha (mean +- std over seeds)",
    "",
    `| method | ${r.alphas.map((a) => `alpha ${a}`).join(" | ")} |`,
    `| --- | ${r.alphas.map(() => "---").join(" | ")} |`,
    ...r.methods.map((method) => `| ${method} | ${r.alphas.map((a) => `${f(at(a)[method].rewardMean)} +- ${f(at(a)[method].rewardStd)}`).join(" | ")} |`),
    ...(r.perSeed[0] ? Object.keys(r.perSeed[0].byAlpha["0"].fixed) : []).map(
      (a) => `| fixed ${a} (no adapters) | ${r.alphas.map((alpha) => f(mean(r.perSeed.map((s) => s.byAlpha[`${alpha}`].fixed[a].reward)))).join(" | ")} |`,
    ),
    "",
    "## Held-out accuracy by group at alpha 0 (mean over seeds), with the normalised cost",
    "",
    `| method | ${KEYWORD_GROUP_NAMES.map((g) => `${g}: ${GROUP_NOTES[g]}`).join(" | ")} | accuracy | normalised cost |`,
    `| --- | ${KEYWORD_GROUP_NAMES.map(() => "---").join(" | ")} | --- | --- |`,
    ...r.methods.map((method) => `| ${method} | ${KEYWORD_GROUP_NAMES.map((g) => f(at(0)[method].byGroup[g])).join(" | ")} | ${f(at(0)[method].qualityMean)} | ${f(at(0)[method].costMean)} |`),
    "",
    `Static-adapter bound on the context group: ${r.staticAdapterBound} (keywordBenchmark.ts: a query-independent o_proj update adds the keyword's and the code book's contributions, and of every Latin quadruple of one phrasing at least one item is then wrong; the held-out context items come in whole quadruples).`,
    "",
    "## Per seed",
    "",
    "| seed | alpha | HAPS | without adapters | best fixed (which) | best fixed + static (which) | static under HAPS's router | oracle | HAPS on context |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.perSeed.flatMap((s) =>
      r.alphas.map((a) => {
        const x = s.byAlpha[`${a}`];
        return `| ${s.seed} | ${a} | ${f(x.methods.HAPS.reward)} | ${f(x.methods["HAPS without adapters"].reward)} | ${f(x.methods["best fixed assignment"].reward)} (${x.bestFixed}) | ${f(x.methods["best fixed assignment + static adapter"].reward)} (${x.bestFixedStatic}) | ${x.methods["static adapter under HAPS's router"] ? f(x.methods["static adapter under HAPS's router"].reward) : "not run"} | ${f(x.methods["oracle routing (no adapters)"].reward)} | ${f(x.methods.HAPS.byGroup.context ?? NaN)} |`;
      }),
    ),
    "",
    `Training: ${r.perSeed.map((s) => `seed ${s.seed}: ${s.trainSeconds.toFixed(0)} s, HAPS validation ${f(s.hapsValidReward)} (${s.hapsRollouts} RL episodes); static adapters ${s.staticAdapters.map((x) => `${x.assignment} validation ${f(x.bestValidReward)} (${x.rollouts} episodes)`).join(", ")}`).join("; ")}.`,
    "",
    `HAPS's choices at each alpha (teacher/student: items): ${r.perSeed.map((s) => `seed ${s.seed}: ${r.alphas.map((a) => `alpha ${a} ${Object.entries(s.byAlpha[`${a}`].methods.HAPS.assignments).map(([k, v]) => `${k} ${v}`).join(", ")}`).join("; ")}`).join(" | ")}.`,
    "",
    r.passed.all ? "**Every margin is met.**" : "**A margin is not met.**",
    "",
  ];
  return lines.filter((l, i) => l !== "" || lines[i - 1] !== "").join("\n");
}
