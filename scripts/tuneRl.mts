// The documented procedure behind the joint-RL defaults, on the development benchmark (never the proof's): the
// 32-item development check (`haps devcheck`, data seed 0) run with each RL setting of GRID for the given seeds, all
// else at the spec defaults. Recorded per setting and seed: the warm-up's validation reward, RL's best validation reward
// (with adapters) and whether RL improved on the warm-up, and HAPS's held-out quality at alpha 0.
//
//   npx tsx scripts/tuneRl.mts WORK_DIR OUT_JSON [seeds, e.g. 1,2]
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runDevCheck } from "../src/core/benchmark/devCheck.ts";

const [workRoot, outFile, seedList] = process.argv.slice(2);
if (!workRoot || !outFile) throw new Error("usage: npx tsx scripts/tuneRl.mts WORK_DIR OUT_JSON [seeds]");
const seeds = (seedList ?? "1").split(",").map(Number);
const GRID: Record<string, unknown>[] = [
  {},
  { sigma: 1 },
  { sigma: 0.25 },
  { generatorLr: 2e-2 },
  { epochs: 10 },
];
const rows: Record<string, unknown>[] = [];
for (const rl of GRID) {
  const name = Object.entries(rl).map(([k, v]) => `${k}=${v}`).join(",") || "defaults";
  // One work folder per setting (checkpoints differ), the action-level rows copied from nothing: each run makes its own.
  const work = path.join(workRoot, `rl-${name}`);
  const v = await runDevCheck({ workDir: work, resultsDir: path.join(work, "out"), seeds, threads: 1, training: { rl } });
  const results = JSON.parse(await (await import("node:fs/promises")).readFile(path.join(work, "out", "results.json"), "utf8"));
  for (const s of results.perSeed) {
    const t = s.trainings.find((x: { name: string }) => x.name === "HAPS");
    const row = {
      setting: name,
      seed: s.seed,
      warmUpValid: t.rl[0]?.validReward ?? null,
      rlBestValid: t.bestValidReward,
      rlImproved: t.rlImproved,
      rollouts: t.rollouts,
      testQualityAlpha0: s.methods.find((m: { kind: string }) => m.kind === "haps").byAlpha["0"].quality,
      knnTestQualityAlpha0: s.methods.find((m: { kind: string }) => m.kind === "knn").byAlpha["0"].quality,
      alphaActs: s.alphaCheck?.passed ?? null,
    };
    rows.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
  }
  void v;
}
await writeFile(outFile, `${JSON.stringify({ procedure: "scripts/tuneRl.mts", seeds, grid: GRID, rows }, null, 2)}\n`);
