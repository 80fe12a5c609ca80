// Development probe (issue 15, docs/proof-dev): how many RL items does HAPS's generator need to learn the keyword
// benchmark's "context" group (letter set by keyword AND code book) on a fixed assignment? Only the generator (and the
// trunk it reads) is trained, with JointRl's estimator (antithetic pairs on B, central difference of the shaped
// reward, plain SGD), on the context group's training items of a development seed's split; the held-out context
// items (validation + test of that split) are scored with mean adapters every `every` items.
//
//   npx tsx scripts/contextProbe.mts WORK_DIR SEED [key=value ...]
//   keys: sigma (0.5), lr (6e-3), explore (b), pairs (1: antithetic pairs per item), items (960), every (96),
//         assignment (small/small), batch (4), lrEnd (0.1), bPenalty (1e-3)
import path from "node:path";
import type { LoraAdapter } from "../src/core/adapters/types.ts";
import { stratifiedSplits, writeKeywordBenchmark, type BenchmarkItem } from "../src/core/benchmark/keywordBenchmark.ts";
import type { PreparedQuery } from "../src/core/episode/types.ts";
import { HapsPolicy } from "../src/core/router/HapsPolicy.ts";
import { Rng } from "../src/core/nn/Rng.ts";
import { Sgd } from "../src/core/nn/Sgd.ts";
import { qualityOf, runPool } from "../src/core/training/episodes.ts";
import { TrainingSession } from "../src/core/training/Trainer.ts";
import { parseTrainSpec } from "../src/core/training/TrainSpec.ts";
import type { ExploredFactors } from "../src/core/generator/LoraGenerator.ts";

const [workDir, seedArg, ...rest] = process.argv.slice(2);
const opt = Object.fromEntries(rest.map((kv) => kv.split("=")));
const num = (k: string, d: number) => (opt[k] == null ? d : Number(opt[k]));
const seed = Number(seedArg);
const sigma = num("sigma", 0.5);
const lr = num("lr", 6e-3);
const explore = (opt.explore ?? "b") as ExploredFactors;
const pairs = num("pairs", 1);
const totalItems = num("items", 960);
const every = num("every", 96);
const batchSize = num("batch", 4);
const lrEnd = num("lrEnd", 0.1);
const bPenalty = num("bPenalty", 1e-3);
const [teacher, student] = (opt.assignment ?? "small/small").split("/");

const benchmark = await writeKeywordBenchmark(path.join(workDir, "benchmark"), { scale: 4 });
const items = benchmark.items;
const spec = await parseTrainSpec({ config: benchmark.configFile, data: { format: "jsonl", file: benchmark.dataFile, sizes: { train: 1, valid: 0, test: 0 } }, out: path.join(workDir, "runs"), alpha: 0, threads: 1 }, "probe", process.cwd());
const asItem = (i: BenchmarkItem) => ({ id: i.id, task: "multiple-choice" as const, question: i.question, choices: i.choices, answer: i.answer });
const session = await TrainingSession.open(spec, { splits: { train: items.map(asItem), valid: [], test: [] } });
const split = stratifiedSplits(items, seed);
const ctxOnly = (xs: BenchmarkItem[]) => xs.filter((i) => i.group === "context");
const allTrain = await session.prepare(split.train.map(asItem));
const train = await session.prepare(ctxOnly(split.train).map(asItem));
const heldOut = await session.prepare([...ctxOnly(split.valid), ...ctxOnly(split.test)].map(asItem));
const policy = new HapsPolicy({ ...session.pipeline.policy.config, seed });
policy.fitFeatureStandardizer(allTrain.map((q) => q.feature));
const assignment = session.pipeline.fixedAssignment({ teacher, student });
const open = [...new Set([teacher, student])];
const params = [...policy.parameters()].filter(([n]) => !n.startsWith("head."));
const sgd = new Sgd(params, { lr });
const rng = new Rng(seed * 7919 + 17);

const episode = async (q: PreparedQuery, adapters: Map<string, LoraAdapter>) => {
  const report = await session.pipeline.runEpisode(q, assignment, { alpha: 0, adapters: { teacher: adapters.get(teacher) ?? null, student: adapters.get(student) ?? null } });
  return qualityOf(report);
};
const evaluate = async () => {
  const qs = await runPool(heldOut, 2, (q) => episode(q, new Map(open.map((id) => [id, policy.generate(id, q.feature)!]))));
  const trainQ = await runPool(train, 2, (q) => episode(q, new Map(open.map((id) => [id, policy.generate(id, q.feature)!]))));
  return { heldOut: qs.reduce((a, b) => a + b, 0) / qs.length, train: trainQ.reduce((a, b) => a + b, 0) / trainQ.length };
};
const t0 = performance.now();
let episodes = 0;
let informative = 0;
const log = (x: unknown) => process.stdout.write(`${JSON.stringify(x)}\n`);
log({ seed, sigma, lr, explore, pairs, batchSize, trainItems: train.length, heldOut: heldOut.length, assignment: `${teacher}/${student}` });
let e = await evaluate();
log({ items: 0, ...e, s: 0 });
let seen = 0;
const totalSteps = Math.ceil(totalItems / batchSize);
let step = 0;
while (seen < totalItems) {
  const order = rng.shuffle ? [...train.keys()] : [...train.keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let p = 0; p < order.length && seen < totalItems; p += batchSize) {
    const batch = order.slice(p, p + batchSize);
    policy.parameters().zeroGrad();
    await Promise.all(
      batch.map(async () => {}),
    );
    for (const i of batch) {
      const q = train[i];
      for (let k = 0; k < pairs; k++) {
        const samples = new Map(open.map((id) => [id, policy.sampleAdapter(id, q.feature, sigma, rng, explore)!]));
        const plusA = new Map([...samples].map(([id, s]) => [id, s.adapter]));
        const minusA = new Map([...samples].map(([id, s]) => [id, mirror(policy.generate(id, q.feature)!, s.adapter)]));
        const [plus, minus] = await Promise.all([episode(q, plusA), episode(q, minusA)]);
        episodes += 2;
        const shaped = (x: number) => (x > 0 ? x : -1);
        const adv = (shaped(plus) - shaped(minus)) / 2;
        if (adv !== 0) informative++;
        for (const [id, s] of samples) {
          policy.backwardAdapter(id, q.feature, s.noise, adv / batch.length / pairs);
          if (bPenalty > 0) policy.generator(id)!.backwardNormPenalty(q.feature, bPenalty / batch.length / pairs);
        }
      }
    }
    sgd.lr = lr * (1 - (1 - lrEnd) * Math.min(1, step / totalSteps));
    sgd.step();
    step++;
    seen += batch.length;
    if (seen % every === 0 || seen >= totalItems) {
      e = await evaluate();
      log({ items: seen, episodes, informativePairs: informative, ...e, s: Math.round((performance.now() - t0) / 1000) });
    }
  }
}
await session.dispose();

function mirror(mean: LoraAdapter, plus: LoraAdapter): LoraAdapter {
  return { ...plus, layers: plus.layers.map((l, i) => ({ ...l, a: l.a.map((v, k) => 2 * mean.layers[i].a[k] - v), b: l.b.map((v, k) => 2 * mean.layers[i].b[k] - v) })) };
}
