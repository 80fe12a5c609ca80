// One seed of an evaluation, end to end:
//
//   1. the seed's splits and the cost normaliser (min-max on the training items' action rows);
//   2. the trainings: HAPS at the spec's alpha - one per configuration of its search, the one with the best validation
//      reward kept - and the ablations that need their own (no adapters, no sharing, depth k), with the kept settings;
//   3. the baselines, each configuration of their searches fitted on the training (+ validation) items' action rows
//      with the router's features, the best on validation reward kept per cost regime;
//   4. every method on the test items: the main methods at every cost regime, the ablations at the training alpha;
//   5. the Pareto sweep: every method that can weigh cost at each swept alpha.
//
// Methods that run the router LLM (HAPS, its ablations and every learned baseline: all read its feature of the routing
// prompt) pay its prompt in cost: `overhead` holds that raw cost per item (runEvaluation.ts prices it).
//
// The test items are never trained on, fitted on or calibrated on: they enter only as the items decided on and scored.
// Methods that decide without adapters are scored from the test items' action rows (exactly the episodes they would
// run); methods with adapters run episodes (EpisodeRunner). Every method is scored on the same items, with the same
// cost normaliser and the same token accounting (scoreOutcomes).
import path from "node:path";
import { RandomBaseline, type AssignmentSpace, type RoutingExample } from "../baselines/index.ts";
import { episodesWith, trainStaticAdapters } from "../baselines/StaticAdapter.ts";
import type { PreparedQuery } from "../episode/types.ts";
import { reward, type CostNormalizer } from "../metrics/index.ts";
import type { TaskItem } from "../data/TaskItem.ts";
import { fitCostNormalizer, type ActionRow } from "../training/ActionDataset.ts";
import type { TrainingProgress } from "../training/progress.ts";
import type { TrainingSession } from "../training/Trainer.ts";
import type { AssignmentTable, Choice } from "./AssignmentTable.ts";
import { baselineRecord, baselineRng, fitBaseline, makeBaselines, type BaselineRecord, type Decision as BaselineDecision, type TuningRecord } from "./baselineMethods.ts";
import { asStored, directoryDigest, fingerprint, fitSlug, loadFit, storeFit } from "./fitStore.ts";
import { HAPS_SPACE, STATIC_ADAPTER_SPACE } from "./tuning/learnedMethods.ts";
import { describeConfiguration, drawConfigurations, nestConfiguration } from "./tuning/searchSpace.ts";
import type { EvalSpec } from "./EvalSpec.ts";
import type { EvaluationData } from "./EvaluationData.ts";
import type { HapsRuns, RunVariant, TrainedRun } from "./HapsRuns.ts";
import { compareWithKnn } from "./knnComparison.ts";
import { checkAlphaActs } from "../training/alphaChecks.ts";
import { rlImproved } from "../training/JointRl.ts";
import { rowOutcome, scoreOutcomes, type ItemOutcome, type MethodScore } from "./scoreOutcomes.ts";
import type { MethodResult, ParetoSeries, SeedEvaluation, TrainingRecord } from "./types.ts";

export interface SeedContext {
  spec: EvalSpec;
  session: TrainingSession;
  data: EvaluationData;
  table: AssignmentTable;
  /** The assignment space with the descriptor embeddings GraphRouter and IRT-Router read. */
  space: AssignmentSpace;
  runs: HapsRuns;
  /** The cost preference HAPS is trained at (the main table's and the ablations'). */
  alpha: number;
  /** Every cost regime, `alpha` included. */
  alphas: number[];
  work: string;
  /** Raw cost of running the router LLM on each item's routing prompt, paid by the methods that read its feature. */
  overhead: ReadonlyMap<string, number>;
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
  log: (line: string) => void;
}

export const HAPS_NAME = "HAPS";
const HAPS_RUN: RunVariant = { name: HAPS_NAME, slug: "haps" };

/** Alpha as results.json keys it. */
export const alphaKey = (alpha: number): string => String(alpha);

export async function evaluateSeed(ctx: SeedContext, seed: number): Promise<SeedEvaluation> {
  const { spec, session, table, alpha, alphas } = ctx;
  const started = performance.now();
  const split = ctx.data.splitsFor(seed, session.splits);
  if (split.test.length === 0) throw new Error(`${spec.source}: data.sizes.test is 0, but an evaluation is scored on held-out test items`);
  const ids = (items: readonly TaskItem[]) => items.map((i) => i.id);
  const normalizer = fitCostNormalizer(session.dataset.rows(ids(split.train)));
  const rowOf = (item: string, choice: Choice): ActionRow => {
    const row = session.dataset.get(item, choice);
    if (row == null) throw new Error(`no action-level row for item "${item}" under ${table.label(choice)}`);
    return row;
  };
  const example = (item: TaskItem): RoutingExample => {
    const rows = table.choices().map((c) => rowOf(item.id, c));
    return { id: item.id, query: item.question, embedding: session.prepared.get(item.id)!.feature, quality: rows.map((r) => r.quality), cost: rows.map((r) => normalizer.normalise(r.cost)) };
  };
  const examples = { train: split.train.map(example), valid: split.valid.map(example), test: split.test.map(example) };
  const test = split.test;
  const testQueries = test.map((i) => session.prepared.get(i.id)!);
  const seedDir = path.join(ctx.work, `seed-${seed}`);

  // 2. Trainings. HAPS is trained when it is reported or an ablation reuses its generators or its depth.
  const baseDepth = session.config.generator.lastLayers;
  const depthIsHaps = (k: number) => k === baseDepth && session.config.generator.shareTrunk;
  const { ablations } = spec;
  const needsHaps = spec.methods.includes("haps") || spec.methods.includes("static-adapter") || ablations.highLevel || ablations.depths.some(depthIsHaps);
  const train = (variant: RunVariant) => ctx.runs.train(variant, seed, split, normalizer, seedDir);
  // HAPS's search: configuration 0 is the spec's settings (folder `haps`, as before tuning existed, so a work folder
  // resumes), the others are drawn; the one with the best validation reward at the training alpha is HAPS.
  const tuning: TuningRecord[] = [];
  let haps: TrainedRun | null = null;
  let kept: { sft?: Record<string, number>; rl?: Record<string, number> } = {};
  const hapsRuns: TrainedRun[] = [];
  if (needsHaps) {
    const configurations = drawConfigurations(HAPS_SPACE, spec.tuning.configurations, seed, "haps");
    const trials: TuningRecord["trials"] = [];
    for (const [i, configuration] of configurations.entries()) {
      const overrides = nestConfiguration(configuration);
      const run = await train(i === 0 ? HAPS_RUN : { name: `${HAPS_NAME} (configuration ${i})`, slug: `haps-tune-${i}`, sft: overrides.sft, rl: overrides.rl });
      hapsRuns.push(run);
      trials.push({ configuration, description: describeConfiguration(configuration), fitSeconds: run.seconds, validReward: { [alphaKey(alpha)]: run.result.rl.bestValidReward }, checkpoint: { [alphaKey(alpha)]: run.result.rl.bestAtItems > 0 ? `joint RL after ${run.result.rl.bestAtItems} items` : `warm-up (epoch ${run.result.sft.bestEpoch})` } });
    }
    const best = trials.reduce((b, t, i) => (t.validReward[alphaKey(alpha)] > trials[b].validReward[alphaKey(alpha)] + 1e-12 ? i : b), 0);
    haps = hapsRuns[best];
    kept = nestConfiguration(configurations[best]);
    if (configurations.length > 1) ctx.log(`seed ${seed}: HAPS search kept configuration ${best} (${trials[best].description}), validation reward ${trials[best].validReward[alphaKey(alpha)].toFixed(4)}`);
    tuning.push({ method: "haps", name: HAPS_NAME, space: HAPS_SPACE, trials, chosen: Object.fromEntries(alphas.map((a) => [alphaKey(a), best])), selectedOn: split.valid.length > 0 ? "valid" : "train" });
  }
  // The ablations train with HAPS's kept settings, each with its one change.
  const keptSlug = (slug: string) => (Object.keys(kept).length === 0 ? slug : `${slug}-tuned-${hapsRuns.indexOf(haps!)}`);
  const noLowLevel = ablations.lowLevel ? await train({ name: "w/o low-level router", slug: keptSlug("no-low-level"), sft: kept.sft, rl: { ...kept.rl, adapters: false } }) : null;
  const noSharing = ablations.sharing ? await train({ name: "w/o parameter sharing", slug: keptSlug("no-sharing"), sft: kept.sft, rl: kept.rl, generator: { shareTrunk: false } }) : null;
  const depthRuns: { k: number; run: TrainedRun }[] = [];
  for (const k of ablations.depths) {
    depthRuns.push({ k, run: depthIsHaps(k) ? haps! : await train({ name: `LoRA depth k=${k}`, slug: keptSlug(`depth-${k}`), sft: kept.sft, rl: kept.rl, generator: { lastLayers: k, shareTrunk: true } }) });
  }
  const trained = [...hapsRuns, noLowLevel, noSharing, ...depthRuns.map((d) => d.run)].filter((r, i, all): r is TrainedRun => r != null && all.indexOf(r) === i);

  // 3. Baselines: each fitted with its search and its decisions on the test items recorded, or read back from the
  // seed's folder when a run with the same --out fitted it before on the same examples.
  const paretoAlphas = [...new Set([...spec.paretoAlphas, ...alphas])].sort((a, b) => a - b);
  const examplesDigest = fingerprint({ examples, space: ctx.space.assignments.map((a) => [a.label, a.embedding]) });
  const fitted: BaselineRecord[] = [];
  for (const entry of makeBaselines(spec.methods, ctx.space, spec.baselines, seed, spec.tuning.configurations)) {
    ctx.signal?.throwIfAborted();
    const file = path.join(seedDir, "baselines", `${fitSlug(entry.name)}.json`);
    const wanted = fingerprint({ format: 1, examplesDigest, method: entry.method, name: entry.name, configurations: entry.configurations, options: spec.baselines, alpha, alphas, paretoAlphas });
    let f = await loadFit<BaselineRecord>(file, wanted);
    if (f != null) {
      ctx.log(`seed ${seed}: ${f.name} fitted before (${file}), not fitted again`);
    } else {
      // Used as a resumed run reads it back (through JSON), so that both give the same figures.
      f = asStored(baselineRecord(fitBaseline(entry, examples, ctx.space, seed, alphas), { examples, space: ctx.space, seed, alpha, alphas, paretoAlphas, table }));
      await storeFit(file, wanted, f);
      const kept = f.tuning == null ? "" : `, kept ${alphas.map((a) => `configuration ${f!.chosen[alphaKey(a)]} at alpha ${a}`).join(", ")}`;
      ctx.log(`seed ${seed}: ${f.name} ${f.failed < f.configurations ? `fitted (${f.configurations} configuration(s)${f.failed > 0 ? `, ${f.failed} failed` : ""}) in ${f.fitSeconds.toFixed(1)} s${kept}` : `could not be fitted: ${f.firstError}`}`);
    }
    fitted.push(f);
    if (f.tuning) tuning.push(f.tuning);
  }

  // 4. Every method on the test items.
  const sweeping = fitted.filter((f) => f.weighsCost && f.method !== "oracle").length + (spec.methods.includes("haps") ? 1 : 0);
  const mainCount = fitted.length + (spec.methods.includes("haps") ? 1 : 0);
  const ablationCount = (ablations.highLevel ? 1 + table.size : 0) + (noLowLevel ? 1 : 0) + (noSharing ? 1 : 0) + depthRuns.length;
  const total = (mainCount * alphas.length + ablationCount + sweeping * paretoAlphas.length) * test.length;
  let done = 0;
  const evalStarted = performance.now();
  const tick = (n = 1) => {
    done += n;
    const seconds = Math.max(1e-3, (performance.now() - evalStarted) / 1000);
    ctx.onProgress?.({ phase: "eval", seed, done, total, rolloutsPerSecond: done / seconds, etaSeconds: ((total - done) * seconds) / done, message: `${mainCount} methods x ${alphas.length} cost regimes, ${ablationCount} ablations, ${test.length} test items` });
  };
  // A decision per test item (or why there is none), scored from that item's action row.
  type Decision = { choice: Choice } | { error: string };
  const fromRows = (decisions: readonly Decision[]): ItemOutcome[] => {
    const outcomes = decisions.map((d, k): ItemOutcome => ("choice" in d ? rowOutcome(rowOf(test[k].id, d.choice), d.choice) : { item: test[k].id, choice: null, quality: 0, cost: null, tokens: {}, error: d.error }));
    tick(outcomes.length);
    return outcomes;
  };
  // The router's own cost, for the methods that run it.
  const withOverhead = (outcomes: ItemOutcome[]): ItemOutcome[] => outcomes.map((o) => (o.cost == null ? o : { ...o, cost: o.cost + (ctx.overhead.get(o.item) ?? 0) }));
  const paysOverhead = (f: BaselineRecord) => f.tuning != null;
  const groups = ctx.data.benchmarkItems == null ? undefined : new Map(ctx.data.benchmarkItems.map((i) => [i.id, i.group as string]));
  const score = (outcomes: ItemOutcome[], a: number): MethodScore => scoreOutcomes(outcomes, normalizer, a, table, groups);
  const greedy = (run: TrainedRun, a: number): Choice[] => testQueries.map((q) => run.policy.head.toAssignment(run.policy.head.argmax(q.feature, a)).choice);
  const episodes = async (run: TrainedRun, choices: readonly Choice[]) => withOverhead(await run.runner.run(testQueries.map((query, k) => ({ query, choice: choices[k] })), () => tick()));
  const methods: MethodResult[] = [];
  const trainSeconds = (run: TrainedRun | null) => run?.seconds;

  if (spec.methods.includes("haps")) {
    const byAlpha: MethodResult["byAlpha"] = {};
    for (const a of alphas) byAlpha[alphaKey(a)] = score(await episodes(haps!, greedy(haps!, a)), a);
    methods.push({ name: HAPS_NAME, group: "main", kind: "haps", adapters: true, scoredFrom: "episodes", weighsCost: true, fitSeconds: trainSeconds(haps), byAlpha });
  }
  const baselineOutcomes = (f: BaselineRecord, decided: readonly BaselineDecision[]) => {
    const outcomes = fromRows(decided.map((d): Decision => ("index" in d ? { choice: table.choiceAt(d.index) } : d)));
    return paysOverhead(f) ? withOverhead(outcomes) : outcomes;
  };
  for (const f of fitted) {
    const byAlpha: MethodResult["byAlpha"] = {};
    for (const a of alphas) byAlpha[alphaKey(a)] = score(baselineOutcomes(f, f.byAlpha[alphaKey(a)]), a);
    methods.push({ name: f.name, group: "main", kind: f.method, adapters: false, scoredFrom: "action rows", weighsCost: f.weighsCost, fitSeconds: f.fitSeconds, byAlpha });
  }
  const staticPareto: ParetoSeries[] = [];
  if (spec.methods.includes("static-adapter")) {
    const s = await staticAdapterMethods(ctx, seed, haps!, { split, normalizer, rowOf, testQueries }, score, tick);
    methods.push(...s.methods);
    tuning.push(...s.tuning);
    // Its router form decides at each cost regime with new episodes: its front has the regimes' points only (a sweep
    // over every swept alpha would run new episodes with its adapters at each).
    for (const m of s.methods) staticPareto.push({ name: m.name, kind: m.kind, points: (m.weighsCost ? alphas : [alpha]).map((a) => ({ alpha: a, quality: m.byAlpha[alphaKey(a)].quality, cost: m.byAlpha[alphaKey(a)].normalisedCost, strongCallShare: m.byAlpha[alphaKey(a)].strongCallShare })) });
  }
  const atAlpha = (outcomes: ItemOutcome[]) => ({ [alphaKey(alpha)]: score(outcomes, alpha) });

  if (ablations.highLevel) {
    // The same draws as the Random baseline (same seed and stream), now with HAPS's generated adapters.
    const random = new RandomBaseline();
    random.fit(examples.train, examples.valid, table.space, { rng: baselineRng(seed, random.name) });
    const drawn = examples.test.map((e) => table.choiceAt(random.choose(e, alpha)));
    methods.push({ name: "w/o high-level (random)", group: "ablation", kind: "no-high-level", adapters: true, scoredFrom: "episodes", weighsCost: false, byAlpha: atAlpha(await episodes(haps!, drawn)) });
    for (const choice of table.choices()) {
      methods.push({
        name: `w/o high-level (fixed: ${table.label(choice)})`,
        group: "ablation",
        kind: "no-high-level",
        adapters: true,
        scoredFrom: "episodes",
        weighsCost: false,
        byAlpha: atAlpha(await episodes(haps!, test.map(() => choice))),
      });
    }
  }
  if (noLowLevel) {
    methods.push({ name: noLowLevel.variant.name, group: "ablation", kind: "no-low-level", adapters: false, scoredFrom: "action rows", weighsCost: true, fitSeconds: noLowLevel.seconds, byAlpha: atAlpha(withOverhead(fromRows(greedy(noLowLevel, alpha).map((choice) => ({ choice }))))) });
  }
  if (noSharing) {
    methods.push({ name: noSharing.variant.name, group: "ablation", kind: "no-sharing", adapters: true, scoredFrom: "episodes", weighsCost: true, fitSeconds: noSharing.seconds, byAlpha: atAlpha(await episodes(noSharing, greedy(noSharing, alpha))) });
  }
  for (const { k, run } of depthRuns) {
    methods.push({ name: `LoRA depth k=${k}`, group: "ablation", kind: "depth", depth: k, adapters: true, scoredFrom: "episodes", weighsCost: true, fitSeconds: run.seconds, byAlpha: atAlpha(await episodes(run, greedy(run, alpha))) });
  }

  // 5. The Pareto sweep: each method that weighs cost at every swept alpha (the fixed rows are single points). HAPS
  // decides with its head at each alpha and runs its episodes with adapters (an item's episode under an assignment is
  // run once and shared). A baseline decides with the configuration it kept at the training alpha; one that trains a
  // model per alpha (GraphRouter) is fitted again with that configuration for the swept alphas.
  const pareto: ParetoSeries[] = [...staticPareto];
  const point = (a: number, s: MethodScore) => ({ alpha: a, quality: s.quality, cost: s.normalisedCost, strongCallShare: s.strongCallShare });
  if (spec.methods.includes("haps")) {
    const points = [];
    for (const a of paretoAlphas) points.push(point(a, score(await episodes(haps!, greedy(haps!, a)), a)));
    pareto.push({ name: HAPS_NAME, kind: "haps", points });
  }
  for (const f of fitted) {
    if (f.method === "oracle") continue;
    if (f.pareto == null) {
      const s = methods.find((m) => m.name === f.name)!.byAlpha[alphaKey(alpha)];
      pareto.push({ name: f.name, kind: f.method, points: [point(alpha, s)] });
      continue;
    }
    pareto.push({ name: f.name, kind: f.method, points: paretoAlphas.map((a) => point(a, score(baselineOutcomes(f, f.pareto![alphaKey(a)]), a))) });
  }

  const curve = fitted.find((f) => f.method === "routellm-pair" && f.routeLlmCurve != null) ?? fitted.find((f) => f.method === "routellm" && f.routeLlmCurve != null);
  const knnComparison = haps ? compareWithKnn(haps.policy, examples, ctx.space, haps.result.rl.bestValidReward, alpha, seed) : null;
  // Whether alpha acts on the trained head, on the validation items' action rows (the training items without them).
  const checked = examples.valid.length > 0 ? examples.valid : examples.train;
  const alphaCheck = haps
    ? checkAlphaActs(
        haps.policy,
        checked.map((ex) => ({ id: ex.id, feature: ex.embedding, outcomes: ctx.space.assignments.map((a, j) => ({ choices: [...a.choices], quality: ex.quality[j], cost: ex.cost[j] })) })),
      )
    : null;
  if (alphaCheck && !alphaCheck.passed) ctx.log(`seed ${seed}: alpha does not act as a price on the trained head (see the report)`);
  if (knnComparison?.hapsWorse) ctx.log(`seed ${seed}: HAPS is worse than the kNN router on validation (${knnComparison.hapsValidReward.toFixed(3)} / routing alone ${knnComparison.hapsRoutingValidReward.toFixed(3)} vs ${knnComparison.knnValidReward.toFixed(3)})`);
  return {
    seed,
    splits: { train: ids(split.train), valid: ids(split.valid), test: ids(test) },
    costNormalizer: normalizer.toJSON(),
    methods,
    routeLlmCurve: curve?.routeLlmCurve ?? null,
    knnComparison,
    alphaCheck: alphaCheck && { ...alphaCheck, items: examples.valid.length > 0 ? "validation" : "training" },
    trainings: trained.map(trainingRecord),
    tuning,
    pareto,
    episodesRun: trained.reduce((s, r) => s + r.runner.ran, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The static-adapter baseline (baselines/StaticAdapter.ts), trained at the training alpha under HAPS's router and on
 * the best fixed assignment (on the training rows, ties to the cheaper), then scored from new episodes at every alpha.
 * Its search is the evaluation's: the spec's number of configurations (its own settings - the spec's RL settings - and
 * draws from STATIC_ADAPTER_SPACE), the one with the best validation reward kept. The router form pays the router's
 * overhead; the fixed form reads no router.
 */
async function staticAdapterMethods(
  ctx: SeedContext,
  seed: number,
  haps: TrainedRun,
  data: { split: { train: readonly TaskItem[]; valid: readonly TaskItem[] }; normalizer: CostNormalizer; rowOf: (item: string, choice: Choice) => ActionRow; testQueries: readonly PreparedQuery[] },
  score: (outcomes: ItemOutcome[], alpha: number) => MethodScore,
  tick: (n?: number) => void,
): Promise<{ methods: MethodResult[]; tuning: TuningRecord[] }> {
  const { session, table, alpha } = ctx;
  const { normalizer } = data;
  const prepared = (items: readonly TaskItem[]) => items.map((i) => session.prepared.get(i.id)!);
  const train = prepared(data.split.train);
  const valid = data.split.valid.length > 0 ? prepared(data.split.valid) : train;
  const trainReward = (choice: Choice) => data.split.train.reduce((s, i) => {
    const row = data.rowOf(i.id, choice);
    return s + reward(row.quality, normalizer.normalise(row.cost), alpha);
  }, 0);
  const trainCost = (choice: Choice) => data.split.train.reduce((s, i) => s + data.rowOf(i.id, choice).cost, 0);
  const bestFixed = table.choices().reduce((best, c) => {
    const d = trainReward(c) - trainReward(best);
    return d > 1e-9 || (Math.abs(d) <= 1e-9 && trainCost(c) < trainCost(best)) ? c : best;
  });
  const underRouter = (a: number) => (q: PreparedQuery) => haps.policy.head.toAssignment(haps.policy.head.argmax(q.feature, a));
  const fixed = () => () => session.pipeline.fixedAssignment({ ...bestFixed });
  const variants = [
    { name: "Static adapter (HAPS's router)", route: underRouter },
    { name: `Static adapter (fixed: ${table.label(bestFixed)})`, route: fixed },
  ];
  const out: MethodResult[] = [];
  const tuning: TuningRecord[] = [];
  const configurations = drawConfigurations(STATIC_ADAPTER_SPACE, ctx.spec.tuning.configurations, seed, "static-adapter");
  // A form trained before with the same --out on the same items, HAPS checkpoint, settings and cost regimes is read back.
  const hapsDigest = await directoryDigest(haps.result.checkpoint);
  const examplesDigest = fingerprint([train, valid, data.testQueries].map((qs) => qs.map((q) => [q.routingPrompt, q.feature])));
  type StoredForm = { trials: TuningRecord["trials"]; keptIndex: number; fitSeconds: number; bestValidReward: number; rollouts: number; outcomes: Record<string, ItemOutcome[]> };
  for (const v of variants) {
    const pays = v.route === underRouter;
    const file = path.join(ctx.work, `seed-${seed}`, "static-adapters", `${fitSlug(v.name)}.json`);
    const wanted = fingerprint({ format: 1, name: v.name, hapsDigest, examplesDigest, configurations, rl: session.spec.rl, alpha, alphas: ctx.alphas, normalizer: normalizer.toJSON(), seed });
    const stored = await loadFit<StoredForm>(file, wanted);
    if (stored != null) {
      ctx.log(`seed ${seed}: ${v.name}: trained before (${file}), not trained again; kept configuration ${stored.keptIndex}, best validation reward ${stored.bestValidReward.toFixed(4)}`);
      tuning.push({ method: "static-adapter", name: v.name, space: STATIC_ADAPTER_SPACE, trials: stored.trials, chosen: Object.fromEntries(ctx.alphas.map((a) => [alphaKey(a), stored.keptIndex])), selectedOn: data.split.valid.length > 0 ? "valid" : "train" });
      const byAlpha: MethodResult["byAlpha"] = {};
      for (const a of ctx.alphas) {
        tick(stored.outcomes[alphaKey(a)].length);
        byAlpha[alphaKey(a)] = score(stored.outcomes[alphaKey(a)], a);
      }
      out.push({ name: v.name, group: "main", kind: "static-adapter", adapters: true, scoredFrom: "episodes", weighsCost: pays, fitSeconds: stored.fitSeconds, byAlpha });
      continue;
    }
    const started = performance.now();
    const trials: TuningRecord["trials"] = [];
    let kept: Awaited<ReturnType<typeof trainStaticAdapters>> | null = null;
    let keptIndex = 0;
    for (const [i, configuration] of configurations.entries()) {
      const t0 = performance.now();
      ctx.log(`seed ${seed}: ${v.name}: static adapters: training configuration ${i}`);
      const settings = { ...session.spec.rl, ...nestConfiguration(configuration).rl };
      const trained = await trainStaticAdapters({ pipeline: haps.pipeline, policyConfig: session.pipeline.policy.config, route: v.route(alpha), train, valid, settings, alpha, normalizer, seed, signal: ctx.signal, onProgress: ctx.onProgress });
      trials.push({ configuration, description: describeConfiguration(configuration), fitSeconds: (performance.now() - t0) / 1000, validReward: { [alphaKey(alpha)]: trained.bestValidReward }, checkpoint: { [alphaKey(alpha)]: trained.bestAtItems > 0 ? `after ${trained.bestAtItems} items` : "its starting adapters (0 items)" } });
      if (kept == null || trained.bestValidReward > kept.bestValidReward + 1e-12) {
        kept = trained;
        keptIndex = i;
      }
    }
    const trained = kept!;
    const fitSeconds = (performance.now() - started) / 1000;
    ctx.log(`seed ${seed}: ${v.name}: kept configuration ${keptIndex}, best validation reward ${trained.bestValidReward.toFixed(4)} (${trained.rollouts} episodes, ${fitSeconds.toFixed(0)} s)`);
    tuning.push({ method: "static-adapter", name: v.name, space: STATIC_ADAPTER_SPACE, trials, chosen: Object.fromEntries(ctx.alphas.map((a) => [alphaKey(a), keptIndex])), selectedOn: data.split.valid.length > 0 ? "valid" : "train" });
    const byAlpha: MethodResult["byAlpha"] = {};
    const outcomes: Record<string, ItemOutcome[]> = {};
    for (const a of ctx.alphas) {
      const episodes = await episodesWith({ pipeline: haps.pipeline, route: v.route(a), alpha: a, normalizer, signal: ctx.signal }, data.testQueries, trained.adapters);
      tick(episodes.length);
      outcomes[alphaKey(a)] = asStored(episodes.map((e): ItemOutcome => ({ item: e.item, choice: e.assignment, quality: e.quality, cost: e.cost + (pays ? (ctx.overhead.get(e.item) ?? 0) : 0), tokens: e.tokens })));
      byAlpha[alphaKey(a)] = score(outcomes[alphaKey(a)], a);
    }
    await storeFit(file, wanted, { trials, keptIndex, fitSeconds, bestValidReward: trained.bestValidReward, rollouts: trained.rollouts, outcomes } satisfies StoredForm);
    out.push({ name: v.name, group: "main", kind: "static-adapter", adapters: true, scoredFrom: "episodes", weighsCost: pays, fitSeconds, byAlpha });
  }
  return { methods: out, tuning };
}

function trainingRecord(run: TrainedRun): TrainingRecord {
  const { result } = run;
  return {
    name: run.variant.name,
    rlImproved: rlImproved(result.rl),
    slug: run.variant.slug,
    seconds: run.seconds,
    checkpoint: result.checkpoint,
    bestValidReward: result.rl.bestValidReward,
    stoppedEarly: result.rl.stoppedEarly,
    rollouts: result.rl.rollouts,
    sft: result.sft.history,
    rl: result.rl.history,
  };
}
