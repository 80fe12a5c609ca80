// What standardising the routing feature buys HAPS: the warm-up on the 32-item development check, seeds 1-3, with the
// trunk reading the standardised feature (the default) and with the RMS-normalised one it read before issue 15. Prints
// one JSON line per run: validation error of Q and C, and the held-out routing value (no adapters) at alpha 0 and 0.8.
import path from "node:path";
import { writeDevBenchmark } from "../src/core/benchmark/devBenchmark.ts";
import { Rng } from "../src/core/nn/Rng.ts";
import { HapsPolicy } from "../src/core/router/HapsPolicy.ts";
import { fitCostNormalizer } from "../src/core/training/ActionDataset.ts";
import { regressionError, routingValue, warmUp } from "../src/core/training/Sft.ts";
import { TrainingSession } from "../src/core/training/Trainer.ts";
import { parseTrainSpec } from "../src/core/training/TrainSpec.ts";
// Usage: npx tsx scripts/standardisationAblation.mts WORK (a 32-item devcheck work folder)
const work = process.argv[2];
if (!work) throw new Error("usage: npx tsx scripts/standardisationAblation.mts WORK");
const bench = await writeDevBenchmark(path.join(work, "bench"), { phrasings: 6, copies: 1 });
const spec = await parseTrainSpec({ config: bench.configFile, data: { format: "jsonl", file: bench.dataFile, sizes: { train: 32, valid: 16, test: 24 }, seed: 0 }, out: path.join(work, "eval-work"), threads: 1 }, "x", work);
const session = await TrainingSession.open(spec, {});
const { train, valid, test } = session.splits;
await session.collect([...train, ...valid, ...test]);
const norm = fitCostNormalizer(session.dataset.rows(train.map((i) => i.id)));
const [tr, va, te] = [train, valid, test].map((s) => session.supervised(s, norm));
for (const standardise of [true, false]) {
  for (const seed of [1, 2, 3]) {
    const policy = new HapsPolicy({ ...session.pipeline.policy.config, seed });
    if (!standardise) policy.fitFeatureStandardizer = (() => null) as any;
    warmUp(policy, { train: tr, valid: va }, { target: "tuples", reweight: false, epochs: "auto", batchSize: 8, lr: 1e-2 }, 0, new Rng(seed));
    console.log(JSON.stringify({ standardise, seed, validError: regressionError(policy, va), testRouting0: routingValue(policy, te, 0), testRouting08: routingValue(policy, te, 0.8) }));
  }
}
await session.dispose();
