// The documented procedure that chose the warm-up (SFT) defaults, on the development benchmark (never the proof's):
// for a 32-item and a 300-item training set (splits as `haps devcheck --train N` draws them, data seed 0), every step
// size in LRS with batch 8 is run for MAX_EPOCHS epochs on the action-level data, for seeds 1-3, and the epoch with the
// lowest validation error of Q and C is kept (as warm-up does). Recorded per setting: that error, the epoch and the
// optimiser steps it took, and the routing value of the kept head on the validation items at alpha 0, 0.5 and 0.8.
//
//   npx tsx scripts/tuneWarmUp.mts WORK_DIR OUT_JSON [dc32|dc300]   (WORK_DIR holds the devcheck work folders dc32, dc300)
//
// It reuses the action-level rows the devcheck runs left in WORK_DIR/<dc32|dc300>/eval-work and runs any missing ones.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { writeDevBenchmark } from "../src/core/benchmark/devBenchmark.ts";
import { Rng } from "../src/core/nn/Rng.ts";
import { HapsPolicy } from "../src/core/router/HapsPolicy.ts";
import { fitCostNormalizer } from "../src/core/training/ActionDataset.ts";
import { regressionError, routingValue, warmUp } from "../src/core/training/Sft.ts";
import { TrainingSession } from "../src/core/training/Trainer.ts";
import { parseTrainSpec } from "../src/core/training/TrainSpec.ts";

const [workRoot, outFile, only] = process.argv.slice(2);
if (!workRoot || !outFile) throw new Error("usage: npx tsx scripts/tuneWarmUp.mts WORK_DIR OUT_JSON");
// LRS and MAX_EPOCHS can be narrowed for a run (env TUNE_LRS="0.01,0.03", TUNE_EPOCHS=200); the record says what ran.
const LRS = process.env.TUNE_LRS ? process.env.TUNE_LRS.split(",").map(Number) : [1e-3, 3e-3, 1e-2, 3e-2];
const MAX_EPOCHS = process.env.TUNE_EPOCHS ? Number(process.env.TUNE_EPOCHS) : 400;
const BATCH = 8;
const SEEDS = [1, 2, 3];
const SIZES = [
  { name: "dc32", train: 32, valid: 16, test: 24 },
  { name: "dc300", train: 300, valid: 100, test: 100 },
];
const rows: Record<string, unknown>[] = [];
for (const size of SIZES.filter((s) => only == null || s.name === only)) {
  const work = path.join(workRoot, size.name);
  const total = size.train + size.valid + size.test;
  const bench = await writeDevBenchmark(path.join(work, "bench"), { phrasings: 6, copies: Math.max(1, Math.ceil(total / 72)) });
  const spec = await parseTrainSpec(
    { config: bench.configFile, data: { format: "jsonl", file: bench.dataFile, sizes: { train: size.train, valid: size.valid, test: size.test }, seed: 0 }, out: path.join(work, "eval-work"), threads: 1 },
    "tuneWarmUp",
    work,
  );
  const session = await TrainingSession.open(spec, { log: (l) => process.stderr.write(`${l}\n`) });
  try {
    const { train, valid } = session.splits;
    await session.collect([...train, ...valid]);
    const normalizer = fitCostNormalizer(session.dataset.rows(train.map((i) => i.id)));
    const tr = session.supervised(train, normalizer);
    const va = session.supervised(valid, normalizer);
    for (const lr of LRS) {
      for (const seed of SEEDS) {
        const policy = new HapsPolicy({ ...session.pipeline.policy.config, seed });
        const sft = warmUp(policy, { train: tr, valid: va }, { target: "tuples", reweight: false, epochs: MAX_EPOCHS, batchSize: BATCH, lr }, 0, new Rng(seed));
        const row = {
          train: size.train,
          maxEpochs: MAX_EPOCHS,
          lr,
          seed,
          bestEpoch: sft.bestEpoch,
          bestSteps: sft.bestEpoch * Math.ceil(size.train / BATCH),
          validError: regressionError(policy, va),
          routing: Object.fromEntries([0, 0.5, 0.8].map((a) => [String(a), routingValue(policy, va, a)])),
        };
        rows.push(row);
        process.stderr.write(`${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    await session.dispose();
  }
}
await writeFile(outFile, `${JSON.stringify({ procedure: "scripts/tuneWarmUp.mts", maxEpochs: MAX_EPOCHS, batchSize: BATCH, seeds: SEEDS, rows }, null, 2)}\n`);
