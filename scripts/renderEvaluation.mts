// Writes report.md and the charts of an evaluation again from its results.json (e.g. after the report's code changed),
// without running anything: `npx tsx scripts/renderEvaluation.mts <out folder> [--benchmark]`.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { EvaluationResults } from "../src/core/evaluation/types.ts";
import { writeEvaluation } from "../src/core/evaluation/writeEvaluation.ts";

const [dir, ...flags] = process.argv.slice(2);
if (dir == null) {
  console.error("usage: npx tsx scripts/renderEvaluation.mts <out folder> [--benchmark]");
  process.exit(2);
}
const results = JSON.parse(await readFile(path.join(dir, "results.json"), "utf8")) as EvaluationResults;
const files = await writeEvaluation(results, dir, { benchmark: flags.includes("--benchmark") || results.knownTruth != null });
console.log(`written: ${files.reportFile}, ${files.charts.map((c) => path.basename(c.file)).join(", ")}`);
