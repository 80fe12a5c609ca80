// Development probe (issue 15, docs/proof-dev): HAPS's warm-up and joint RL as the proof runs them, on a development
// seed's split of the keyword benchmark, with RL settings given on the command line; prints the validation curve and,
// for the best checkpoint, the held-out (test split) accuracy per group with HAPS's routing and generated adapters.
//
//   npx tsx scripts/hapsContextProbe.mts WORK_DIR SEED '{"epochs":10,...}'   (RL settings over the proof's)
//
// CURVE=file.jsonl (needs the engine's onRlValidated hook, docs/proof-dev/prototype-curve.patch): after every validation
// the live weights also answer the validation and test splits, one line per validation with each item's quality and the
// context items' assignments; with AVG=k (k > 1) the mean of the last k validation points' weights (checkpoint
// averaging) is answered too. HAPS_HEAD_TRUNK_SCALE (prototype-headtrunk.patch) scales the head's gradient into the trunk.
import { appendFile, copyFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { stratifiedSplits, writeKeywordBenchmark, type BenchmarkItem } from "../src/core/benchmark/keywordBenchmark.ts";
import { loadCheckpoint } from "../src/core/checkpoint/checkpoint.ts";
import { fitCostNormalizer } from "../src/core/training/ActionDataset.ts";
import { evaluateRouter } from "../src/core/training/evaluateRouter.ts";
import { TrainingSession } from "../src/core/training/Trainer.ts";
import { parseTrainSpec } from "../src/core/training/TrainSpec.ts";

const [workDir, seedArg, rlJson] = process.argv.slice(2);
const seed = Number(seedArg);
const rl = { epochs: 5, batchSize: 4, lr: 1e-3, generatorLr: 6e-3, sigma: 0.5, explore: "b", validateEvery: 102, patience: 3, ...JSON.parse(rlJson ?? "{}") };
const benchmark = await writeKeywordBenchmark(path.join(workDir, "benchmark"), { scale: 4 });
const out = path.join(workDir, "runs");
await mkdir(out, { recursive: true });
if (!existsSync(path.join(out, "actions.jsonl")) && process.env.ACTIONS) await copyFile(process.env.ACTIONS, path.join(out, "actions.jsonl"));
const spec = await parseTrainSpec(
  { config: benchmark.configFile, data: { format: "jsonl", file: benchmark.dataFile, sizes: { train: 1, valid: 0, test: 0 } }, out, alpha: 0, threads: 1, sft: { target: "tuples", epochs: 100, batchSize: 8, lr: 3e-3 }, rl },
  "probe",
  process.cwd(),
);
const asItem = (i: BenchmarkItem) => ({ id: i.id, task: "multiple-choice" as const, question: i.question, choices: i.choices, answer: i.answer });
const t0 = performance.now();
const split = stratifiedSplits(benchmark.items, seed);
const curveFile = process.env.CURVE;
const avgK = Number(process.env.AVG ?? 0);
// AVG_SKIP=head. keeps the live weights of the parameters under that prefix (the head) and averages the rest.
const avgSkip = process.env.AVG_SKIP;
let curveExtraMs = 0;
const snapshots: Map<string, Float64Array | Float32Array>[] = [];
const session: TrainingSession = await TrainingSession.open(spec, {
  splits: { train: benchmark.items.map(asItem), valid: [], test: [] },
  concurrency: 2,
  onProgress: (p) => {
    if (p.phase === "validate") process.stdout.write(`${JSON.stringify({ t: Math.round((performance.now() - t0) / 1000), m: p.message })}\n`);
  },
  onRlValidated:
    curveFile == null
      ? undefined
      : async (_seed, live, info) => {
          const t1 = performance.now();
          const answer = async (qs: typeof validQ) => {
            const rows = await evaluateRouter(session.pipeline.withPolicy(live, normalizer), qs, { alpha: 0, adapters: "generated", normalizer, concurrency: 2 });
            return { q: rows.map((r) => r.quality), a: rows.map((r) => `${r.assignment.teacher}/${r.assignment.student}`) };
          };
          const line: Record<string, unknown> = { items: info.items, validReward: info.validReward };
          const v = await answer(validQ);
          const t = await answer(testQ);
          Object.assign(line, { valid: v.q, test: t.q, testAssign: t.a, validAssign: v.a });
          const params = [...live.parameters()];
          snapshots.push(new Map(params.map(([n, p]) => [n, p.data.slice()])));
          if (snapshots.length > Math.max(1, avgK)) snapshots.shift();
          if (avgK > 1 && snapshots.length >= 2) {
            const saved = new Map(params.map(([n, p]) => [n, p.data.slice()]));
            for (const [n, p] of params) {
              if (avgSkip != null && n.startsWith(avgSkip)) continue;
              const d = p.data;
              d.fill(0);
              for (const s of snapshots) { const x = s.get(n)!; for (let i = 0; i < d.length; i++) d[i] += x[i] / snapshots.length; }
            }
            const av = await answer(validQ);
            const at = await answer(testQ);
            line.avg = { k: snapshots.length, valid: av.q, test: at.q, testAssign: at.a };
            for (const [n, p] of params) p.data.set(saved.get(n)!);
          }
          curveExtraMs += performance.now() - t1;
          await appendFile(curveFile, `${JSON.stringify(line)}\n`);
        },
});
await session.collect(benchmark.items.map(asItem));
const train = split.train.map(asItem);
const normalizer = fitCostNormalizer(session.dataset.rows(train.map((i) => i.id)));
const validQ = await session.prepare(split.valid.map(asItem));
const testQ = await session.prepare(split.test.map(asItem));
if (curveFile != null) await appendFile(curveFile, `${JSON.stringify({ seed, rl, validGroups: split.valid.map((i) => i.group), testGroups: split.test.map((i) => i.group) })}\n`);
const tag = rlJson ? rlJson.replace(/[^a-zA-Z0-9.]+/g, "_") : "proof";
const haps = await session.trainSeed(seed, { train, valid: split.valid.map(asItem) }, path.join(out, `seed-${seed}-${tag}`), normalizer);
const policy = (await loadCheckpoint(haps.checkpoint, session.pipeline.policy.config)).policy;
const rows = await evaluateRouter(session.pipeline.withPolicy(policy, normalizer), testQ, { alpha: 0, adapters: "generated", normalizer, concurrency: 2 });
const byGroup: Record<string, number[]> = {};
const chosen: Record<string, number> = {};
rows.forEach((r, k) => {
  const item = split.test[k];
  (byGroup[item.group] ??= []).push(r.quality);
  if (item.group === "context") chosen[`${r.assignment.teacher}/${r.assignment.student}`] = (chosen[`${r.assignment.teacher}/${r.assignment.student}`] ?? 0) + 1;
});
process.stdout.write(
  `${JSON.stringify({
    seed,
    rl,
    seconds: Math.round((performance.now() - t0) / 1000),
    curveSeconds: Math.round(curveExtraMs / 1000),
    rollouts: haps.rl.rollouts,
    bestAtItems: haps.rl.bestAtItems,
    history: haps.rl.history.map((h) => [h.items, +h.validReward.toFixed(3)]),
    test: Object.fromEntries(Object.entries(byGroup).map(([g, v]) => [g, +(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)])),
    contextChosen: chosen,
  })}\n`,
);
await session.dispose();
