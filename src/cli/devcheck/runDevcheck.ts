// `haps devcheck`: the development check (src/core/benchmark/devCheck.ts). Exits 1 when it fails.
import path from "node:path";
import { DEV_CHECK_MARGINS, runDevCheck } from "../../core/benchmark/devCheck.ts";
import { defaultCacheDir } from "../../core/models/defaultModels.ts";
import { parseCliOptions } from "../cliOptions.ts";
import { progressPrinter } from "../progressBar.ts";

export async function runDevcheckCommand(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, {
    out: { type: "string" },
    work: { type: "string" },
    seeds: { type: "string" },
    train: { type: "string" },
    valid: { type: "string" },
    test: { type: "string" },
    feature: { type: "string" },
  });
  if (values.feature != null && values.feature !== "auto" && values.feature !== "output") throw new Error(`--feature: expected "auto" or "output", got "${values.feature}"`);
  const feature = values.feature as "auto" | "output" | undefined;
  const seeds = values.seeds == null ? undefined : values.seeds.split(",").map((s) => Number(s.trim()));
  if (seeds != null && (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s)))) throw new Error(`--seeds: expected integers separated by commas, got "${values.seeds}"`);
  const size = (name: "train" | "valid" | "test", fallback: number) => {
    const raw = values[name];
    if (raw == null) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < (name === "train" ? 1 : 0)) throw new Error(`--${name}: expected a whole number${name === "train" ? " above 0" : ""}, got "${raw}"`);
    return n;
  };
  const sizes = { train: size("train", 32), valid: size("valid", 16), test: size("test", 24) };
  const threads = typeof values.threads === "string" ? Number(values.threads) : undefined;
  const resultsDir = path.resolve(values.out ?? path.join("docs", "dev-benchmark"));
  const workDir = path.resolve(values.work ?? path.join(defaultCacheDir(), "devcheck"));
  process.stdout.write(`Stated before the run: HAPS >= kNN router - ${DEV_CHECK_MARGINS.knnTolerance} (held-out quality at alpha 0, mean over seeds); alpha acts on every seed's trained head.\n`);
  const progress = progressPrinter();
  try {
    const v = await runDevCheck({ workDir, resultsDir, seeds, sizes, threads, feature, onProgress: progress.update, log: (line) => process.stderr.write(`${line}\n`) });
    progress.stop();
    const f = (x: number) => x.toFixed(3);
    process.stdout.write(
      `\nHeld-out quality at alpha 0 (seeds ${v.seeds.join(", ")}): HAPS ${f(v.haps.mean)} [${v.haps.perSeed.map(f).join(", ")}], kNN ${f(v.knn.mean)} [${v.knn.perSeed.map(f).join(", ")}]${v.mlp ? `, MLP ${f(v.mlp.mean)}` : ""}` +
        `\nHAPS >= kNN - ${DEV_CHECK_MARGINS.knnTolerance}: ${v.passed.vsKnn ? "met" : "NOT met"}; alpha acts on every seed: ${v.passed.alphaActs ? "yes" : "NO"}` +
        `\n${v.perSeed.map((s) => `  seed ${s.seed}: RL ${s.rlImproved ? "improved on" : "did not improve on"} the warm-up; validation HAPS ${s.hapsValid?.toFixed(3) ?? "n/a"} vs kNN ${s.knnValid?.toFixed(3) ?? "n/a"}${s.hapsWorseOnValid ? " (HAPS worse)" : ""}`).join("\n")}` +
        `\n${v.seconds.toFixed(0)} s. Written: ${path.join(resultsDir, "verdict.json")}, report.md, results.json\n`,
    );
    return v.passed.all ? 0 : 1;
  } finally {
    progress.stop();
  }
}
