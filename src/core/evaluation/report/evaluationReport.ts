// report.md: the paper's tables for one evaluation - the main comparison (methods x the data set and candidate pair),
// the ablations, the cost regimes (quality, cost and reward per alpha) - as means +- standard deviations over seeds,
// the best value of each column in bold; then the RouteLLM-style curve, LoRA depth, training, assignment mixes and
// tokens, failures, per-seed figures and how each method was adapted. Every figure comes from results.json.
import { KNN_TOLERANCE, knnComparisonLine } from "../knnComparison.ts";
import { alphaKey } from "../evaluateSeed.ts";
import { bestBaselineAt, clearBest, formatInterval, formatTest, type Measure } from "../comparisons.ts";
import { referenceRows } from "../paretoSummary.ts";
import type { TuningRecord } from "../baselineMethods.ts";
import { DESCRIPTOR_NOTE, METHOD_NOTES } from "../methodNotes.ts";
import { mean } from "../summarise.ts";
import { describeFeatureKind } from "../../router/FeatureKind.ts";
import type { Difference, EvaluationResults, MethodKind, MethodSummary, Stat } from "../types.ts";

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const cell = (s: Stat, seeds: number) => (seeds > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean));

interface Row {
  /** The method's name in results.json. */
  name: string;
  label: string;
  competes: boolean;
  cells: { stat: Stat; measure: Measure; alpha: number }[];
  extra?: string[];
}

/**
 * The rows of a table. In each column the competing row with the best mean is in bold only when the paired bootstrap
 * interval of its difference to every other competing row excludes zero (comparisons.ts, clearBest).
 */
function table(r: EvaluationResults, header: string[], rows: Row[]): string[] {
  const columns = rows[0]?.cells.length ?? 0;
  const competing = rows.filter((x) => x.competes).map((x) => x.name);
  const bold = Array.from({ length: columns }, (_, c) => clearBest(r.perSeed, r.summary, competing, rows[0].cells[c].alpha, rows[0].cells[c].measure));
  const out = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`];
  for (const row of rows) {
    const cells = row.cells.map((x, c) => {
      const text = cell(x.stat, r.seeds.length);
      return row.competes && bold[c] === row.name ? `**${text}**` : text;
    });
    out.push(`| ${[row.label, ...cells, ...(row.extra ?? [])].join(" | ")} |`);
  }
  return out;
}

const ORDER: MethodKind[] = ["random", "fixed", "routellm", "routellm-pair", "graphrouter", "irt", "knn", "mlp", "static-adapter", "haps", "oracle"];

export function evaluationReport(r: EvaluationResults, charts: { name: string; file: string }[], options: { benchmark: boolean }): string {
  const key = alphaKey(r.trainingAlpha);
  const n = r.seeds.length;
  const main = r.summary.filter((m) => m.group === "main").sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  const ablations = r.summary.filter((m) => m.group === "ablation");
  const haps = r.summary.find((m) => m.kind === "haps");
  const pair = r.candidates.map((c) => c.id).join(" / ");
  const testItems = r.perSeed[0]?.splits.test.length ?? 0;
  const chart = (name: string) => charts.find((c) => c.name === name);
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);

  push(`# HAPS evaluation: ${r.dataset}`, "");
  push(
    `Candidates ${r.candidates.map((c) => `**${c.id}** (${c.open ? "open" : "closed"}; ${c.price.input}/${c.price.output} per million tokens in/out)`).join(", ")}; agents ${r.agents.join(", ")}; ${r.assignments.length} assignments.`,
    `Seeds ${r.seeds.join(", ")}; ${testItems} held-out test items per seed (never trained, fitted or calibrated on); training alpha ${r.trainingAlpha}; cost regimes alpha ${r.alphas.join(", ")}. ${r.seconds.toFixed(0)} s in all${(r.processes ?? 1) > 1 ? ` (${r.processes} seed processes side by side, put together by \`--combine\`)` : ""}.`,
    "",
    `HAPS is trained once per seed, at alpha ${r.trainingAlpha}. Its head takes alpha at query time (pi ~ softmax((Q - alpha C) / T)), so every cost regime evaluates that same trained HAPS at its alpha; the baselines that can weigh cost decide at each alpha, the others keep their decisions and are scored at it.`,
    `Cells are means${n > 1 ? " ± sample standard deviations" : ""} over ${n} seed(s). **Bold** marks the best value of a column (highest quality and reward, lowest cost) only where it is clearly best: the paired bootstrap ${(r.comparisons.level * 100).toFixed(0)} % interval over the test items (${r.comparisons.resamples} resamples, each seed's items resampled within that seed) of its difference to every other competing row excludes zero; a column without bold has no clear best. The Oracle reads the test items' own outcomes - an upper bound on routing without adapters - and is never marked.`,
    `Normalised cost is min-max on each seed's training rows, **clamped to [0, 1]** (this project's choice; the paper leaves it unclamped); reward = quality - alpha x normalised cost. A method that failed on an item scores quality 0 at cost 1 there. The methods that run the router LLM (${r.overhead.paidBy.split(";")[0]}) pay its reading of the routing prompt: ${r.overhead.routerPromptTokens.toFixed(0)} tokens per item on average, priced as input tokens of the cheapest candidate (${r.overhead.pricePerMillion} per million), added to the raw cost of every item they route.${r.routerFeature == null ? "" : ` They read the router's ${describeFeatureKind(r.routerFeature.kind)} feature (${r.routerFeature.reason}).`}`,
    `Every learned method, HAPS included, had the same hyperparameter search: ${r.perSeed[0]?.tuning[0]?.trials.length ?? 1} configuration(s) per seed (the first its own settings, the others drawn at random from its space), each fitted on the training items and the best by validation reward kept (see Tuning).`,
    "",
  );
  if (r.knownTruth) {
    push(
      r.knownTruth.mismatches.length === 0
        ? `Known truth: all ${r.knownTruth.cells} item x assignment cells of the action-level data ran as the benchmark is constructed (each assignment answers exactly the keywords its Student knows).`
        : `**Known truth violated**: ${r.knownTruth.mismatches.length} of ${r.knownTruth.cells} cells differ from the construction, e.g. ${r.knownTruth.mismatches.slice(0, 3).join("; ")}.`,
      "",
    );
  }

  push(`## Main results (alpha = ${r.trainingAlpha})`, "", `${r.dataset}, candidates ${pair}:`, "");
  push(
    ...table(
      r,
      ["method", "quality", "normalised cost", "reward", "calls to the costliest model", "scored from"],
      main.map((m) => ({
        name: m.name,
        label: m.kind === "oracle" ? `${m.name} (bound)` : m.name,
        competes: m.kind !== "oracle",
        cells: (["quality", "normalisedCost", "reward"] as Measure[]).map((measure) => ({ stat: m.byAlpha[key][measure], measure, alpha: r.trainingAlpha })),
        extra: [f(m.byAlpha[key].strongCallShare.mean), m.scoredFrom],
      })),
    ),
    "",
  );
  push(...measuredOrder(r), "");
  push(...differencesSection(r), "");

  if (ablations.length > 0) {
    push(`## Ablations (alpha = ${r.trainingAlpha})`, "");
    const rows = [...ablations, ...(haps ? [haps] : [])];
    push(
      ...table(
        r,
        ["variant", "quality", "normalised cost", "reward", "adapters", "scored from"],
        rows.map((m) => ({
          name: m.name,
          label: m.name,
          competes: true,
          cells: (["quality", "normalisedCost", "reward"] as Measure[]).map((measure) => ({ stat: m.byAlpha[key][measure], measure, alpha: r.trainingAlpha })),
          extra: [m.adapters ? "generated" : "none", m.scoredFrom],
        })),
      ),
      "",
    );
  }

  push("## Cost regimes", "", "Perf = quality. Static: fixed assignments; every method at each alpha.", "");
  const regimeRows = [...main.filter((m) => m.kind === "fixed"), ...main.filter((m) => m.kind !== "fixed")];
  push(
    ...table(
      r,
      ["method", ...r.alphas.flatMap((a) => [`Perf (α=${a})`, `Cost (α=${a})`, `Reward (α=${a})`])],
      regimeRows.map((m) => ({
        name: m.name,
        label: m.kind === "oracle" ? `${m.name} (bound)` : m.kind === "fixed" ? `Static: ${m.name}` : m.name,
        competes: m.kind !== "oracle",
        cells: r.alphas.flatMap((a) => (["quality", "normalisedCost", "reward"] as Measure[]).map((measure) => ({ stat: m.byAlpha[alphaKey(a)][measure], measure, alpha: a }))),
      })),
    ),
    "",
  );

  push(...paretoSection(r, chart("pareto")?.file), "");
  push(...groupSection(r), "");
  push(...routingSection(r, chart("routing-curve")?.file), "");
  push(...depthSection(r, chart("lora-depth")?.file, options.benchmark), "");
  push(...tuningSection(r), "");
  push(...knnSection(r), "");
  push(...alphaSection(r), "");
  push(...trainingSection(r, chart("training-curves")?.file), "");
  push(...mixSection(r), "");

  const failures = r.perSeed.flatMap((s) => s.methods.flatMap((m) => Object.entries(m.byAlpha).flatMap(([a, score]) => score.failures.map((x) => `seed ${s.seed}, ${m.name}, alpha ${a}: ${x.item}: ${x.error}`))));
  push("## Failures", "", failures.length === 0 ? "No method failed on any item." : `${failures.length} failed items (counted as quality 0 at cost 1):`, "");
  if (failures.length > 0) push(...failures.slice(0, 30).map((x) => `- ${x}`), ...(failures.length > 30 ? [`- ... and ${failures.length - 30} more (results.json)`] : []), "");

  push("## Per seed", "", `Quality at alpha ${r.trainingAlpha}.`, "");
  push(`| method | ${r.perSeed.map((s) => `seed ${s.seed}`).join(" | ")} |`, `| --- | ${r.perSeed.map(() => "---").join(" | ")} |`);
  for (const m of r.summary) push(`| ${m.name} | ${m.byAlpha[key].quality.perSeed.map(f).join(" | ")} |`);
  push("", `Seconds per seed: ${r.perSeed.map((s) => `seed ${s.seed} ${s.seconds.toFixed(0)} (${s.episodesRun} episodes with adapters)`).join("; ")}.`, "");

  push("## Methods and how they were adapted", "");
  const kinds = [...new Set(r.summary.map((m) => m.kind))];
  for (const k of ORDER.concat(["no-high-level", "no-low-level", "no-sharing", "depth"]).filter((x) => kinds.includes(x))) push(`- ${METHOD_NOTES[k]}`);
  const descriptorFinding =
    r.descriptors.error != null
      ? ` Here the router could not embed the descriptors (${r.descriptors.error}): both methods had the identity only.`
      : r.descriptors.distinctBeforeIdentity
        ? ""
        : " Here the router LLM gave some descriptors the same vector: without the identity those assignments would be indistinguishable to both methods.";
  push(`- ${DESCRIPTOR_NOTE}${descriptorFinding}`, "");

  push("## Charts", "");
  for (const c of charts) push(`![${c.name}](${c.file})`, "");
  push(
    "## Reproduce",
    "",
    `\`haps eval --spec ${r.spec.source} --out <dir>\` (package ${r.versions.package}, git ${r.versions.gitCommit ?? "n/a"}${r.versions.gitDirty ? " with uncommitted changes" : ""}, node-llama-cpp ${r.versions.nodeLlamaCpp}, Node ${r.versions.node}, ${r.versions.backend}, ${r.versions.threads} threads). Every number above is in results.json.`,
    "",
  );
  return lines.join("\n");
}

/** The order the issue expects on the keyword benchmark (HAPS > oracle routing without adapters > best baseline > Random), as measured. */
function measuredOrder(r: EvaluationResults): string[] {
  const key = alphaKey(r.trainingAlpha);
  const q = (m: MethodSummary | undefined) => m?.byAlpha[key].quality.mean;
  const haps = r.summary.find((m) => m.kind === "haps");
  const oracle = r.summary.find((m) => m.kind === "oracle");
  const random = r.summary.find((m) => m.kind === "random");
  const best = bestBaselineAt(r, r.trainingAlpha, "quality");
  if (haps == null || oracle == null || random == null || best == null) return [];
  const entries: [string, number][] = [
    ["HAPS", q(haps)!],
    ["Oracle routing (no adapters)", q(oracle)!],
    [`best baseline (${best.name})`, q(best)!],
    ["Random", q(random)!],
  ];
  const sign = (a: number, b: number) => (Math.abs(a - b) < 1e-9 ? "=" : a > b ? ">" : "<");
  const text = entries.map(([name, v], i) => `${name} ${f(v)}${i < entries.length - 1 ? ` ${sign(v, entries[i + 1][1])}` : ""}`).join(" ");
  const holds = entries.every(([, v], i) => i === 0 || entries[i - 1][1] > v + 1e-9);
  const steps = r.comparisons.order.map((d) => `${d.a} - ${d.b}: ${formatInterval(d.interval)}, ${formatTest(d)}`);
  const clear = r.comparisons.order.length === 3 && r.comparisons.order.every((d) => d.interval.low > 0);
  return [
    `Measured order of mean quality: ${text}. The expected strict order HAPS > Oracle routing without adapters > best baseline > Random ${holds ? "holds" : "does not hold"} in the means${holds ? `, and ${clear ? "every step's interval lies above zero" : "not every step's interval lies above zero"}` : ""}.`,
    ...(steps.length > 0 ? ["", `Steps (difference in quality, ${(r.comparisons.level * 100).toFixed(0)} % paired bootstrap interval, paired test): ${steps.join("; ")}.`] : []),
  ];
}

/** Each method against the best baseline, and the regret to the Oracle, with intervals and paired tests. */
function differencesSection(r: EvaluationResults): string[] {
  const c = r.comparisons;
  if (c.vsBestBaseline.length === 0 && c.regret.length === 0) return [];
  const pct = (c.level * 100).toFixed(0);
  const out = [
    "## Differences and their uncertainty",
    "",
    `Every difference is over the same test items (paired): the estimate is the difference of the seed-averaged means, the interval a ${pct} % paired bootstrap interval (${c.resamples} resamples of each seed's test items), the test McNemar's exact test where the quality is right/wrong per item and the Wilcoxon signed-rank test otherwise (rewards with a cost term are graded), on the items of all seeds. The best baseline of a regime is the baseline with the best mean reward there (fixed assignments included; HAPS and the Oracle are not baselines).`,
    "",
    "| alpha | method | best baseline | Δ quality [interval] | quality test | Δ reward [interval] | reward test |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  const row = (d: Difference | undefined) => (d == null ? ["n/a", "n/a"] : [`${excludes(d) ? "**" : ""}${formatInterval(d.interval)}${excludes(d) ? "**" : ""}`, formatTest(d)]);
  const excludes = (d: Difference) => d.interval.low > 0 || d.interval.high < 0;
  for (const a of r.alphas) {
    const best = c.bestBaseline[alphaKey(a)];
    const names = [...new Set(c.vsBestBaseline.filter((d) => d.alpha === a).map((d) => d.a))];
    for (const name of names) {
      const q = c.vsBestBaseline.find((d) => d.alpha === a && d.a === name && d.measure === "quality");
      const w = c.vsBestBaseline.find((d) => d.alpha === a && d.a === name && d.measure === "reward");
      out.push(`| ${a} | ${name} | ${best} | ${row(q).join(" | ")} | ${row(w).join(" | ")} |`);
    }
  }
  out.push("", "Bold intervals exclude zero.", "");
  if (c.regret.length > 0) {
    out.push(
      "### Regret to the Oracle",
      "",
      "Oracle reward minus the method's reward per item (the Oracle routes each item to its best observed assignment without adapters; a negative regret means the method beats routing without adapters, which only adapters can do).",
      "",
      `| method | ${r.alphas.map((a) => `regret (α=${a})`).join(" | ")} |`,
      `| --- | ${r.alphas.map(() => "---").join(" | ")} |`,
    );
    for (const name of [...new Set(c.regret.map((d) => d.b))]) {
      out.push(`| ${name} | ${r.alphas.map((a) => { const d = c.regret.find((x) => x.b === name && x.alpha === a); return d ? formatInterval(d.interval) : "n/a"; }).join(" | ")} |`);
    }
  }
  return out;
}

/** The cost-quality fronts: area under each front and CPT(50 %) / CPT(80 %). */
function paretoSection(r: EvaluationResults, file: string | undefined): string[] {
  if (r.pareto.length === 0) return [];
  const { weak, strong } = referenceRows(r);
  const alphas = [...new Set(r.pareto.flatMap((p) => p.points.map((x) => x.alpha)))].sort((a, b) => a - b);
  const qualityOf = (name: string) => r.pareto.find((p) => p.name === name)?.points[0].quality;
  const gap = qualityOf(weak) != null && qualityOf(strong) != null && qualityOf(weak) !== qualityOf(strong);
  const share = (x: number | null) => (!gap ? "undefined (no gap)" : x == null ? "not reached" : f(x));
  const out = [
    "## Cost-quality Pareto fronts",
    "",
    `Every method that can weigh cost decides at each swept alpha (${alphas.join(", ")}) on the test items; each point is (mean normalised cost, mean quality) over seeds, router overhead included. The front is the non-decreasing upper hull of a method's points (mixing two operating points reaches the segment between them); its area is taken over normalised cost 0 to 1, quality 0 below its cheapest point. CPT(x %) is RouteLLM's call-performance threshold along the front: the smallest share of agent calls to the costliest candidate that recovers x % of the quality gap from ${weak} (All-Weak) to ${strong} (All-Strong). Fixed assignments and Random ignore alpha: one point each. HAPS is trained once, at alpha ${r.trainingAlpha}, and its head takes each alpha at query time; the baselines decide with the configuration their search kept at the training alpha (GraphRouter, which trains one network per alpha, is fitted again with it for each swept alpha).`,
    "",
    ...(gap ? [] : [`Here All-Weak and All-Strong reach the same mean quality (${f(qualityOf(weak)!)}), so there is no gap to recover and CPT is undefined; the area under the front is the figure that compares the methods.`, ""]),
    "| method | points | area under the front | CPT(50 %) | CPT(80 %) | cheapest point (cost, quality) | best point (cost, quality) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const p of [...r.pareto].sort((a, b) => b.area - a.area)) {
    const lo = p.front[0];
    const hi = p.front[p.front.length - 1];
    out.push(`| ${p.name} | ${p.points.length} | ${f(p.area)} | ${share(p.cpt50)} | ${share(p.cpt80)} | ${f(lo.cost)}, ${f(lo.quality)} | ${f(hi.cost)}, ${f(hi.quality)} |`);
  }
  if (file) out.push("", `![Pareto fronts](${file})`);
  return out;
}

/** What each learned method's search tried and chose, per seed. */
function tuningSection(r: EvaluationResults): string[] {
  const records = r.perSeed.flatMap((s) => s.tuning.map((t) => ({ seed: s.seed, t })));
  if (records.length === 0) return [];
  const out = [
    "## Tuning",
    "",
    "Each learned method's search, per seed: every configuration tried (the first is the method's own settings), its mean validation reward per cost regime and the one kept (**bold**). Within each configuration's training, the checkpoint with the best validation reward at that regime's alpha is kept; the cell names it (epoch and optimiser update; for HAPS, the joint-RL point or the warm-up epoch). HAPS is trained at the training alpha and selected there (its validation reward is its training's best); the baselines are selected per regime. Search spaces: src/core/evaluation/tuning/learnedMethods.ts.",
    "",
  ];
  for (const { seed, t } of records) {
    const keys = Object.keys(t.chosen);
    const alphasShown = t.method === "haps" ? [alphaKey(r.trainingAlpha)] : keys;
    out.push(`### ${t.name}, seed ${seed} (selected on the ${t.selectedOn === "valid" ? "validation" : "training (no validation items)"} items)`, "");
    out.push(`Space: ${spaceText(t)}.`, "");
    out.push(`| # | configuration | fit seconds | ${alphasShown.map((a) => `validation reward (α=${a})`).join(" | ")} |`, `| --- | --- | --- | ${alphasShown.map(() => "---").join(" | ")} |`);
    t.trials.forEach((trial, i) => {
      const cells = alphasShown.map((a) => {
        const v = trial.validReward[a];
        const at = trial.checkpoint?.[a];
        const text = trial.error != null ? `failed: ${trial.error.slice(0, 80)}` : `${v == null ? "n/a (one configuration)" : f(v)}${at ? ` (${at})` : ""}`;
        return t.chosen[a] === i ? `**${text}**` : text;
      });
      out.push(`| ${i} | ${trial.description} | ${trial.fitSeconds.toFixed(1)} | ${cells.join(" | ")} |`);
    });
    out.push("");
  }
  return out;
}

function spaceText(t: TuningRecord): string {
  return Object.entries(t.space)
    .map(([k, v]) => ("values" in v ? `${k} in {${v.values.join(", ")}}` : `${k} log-uniform in [${v.log[0]}, ${v.log[1]}]`))
    .join("; ");
}

/** The keyword benchmark's groups: which items each method gets right (the construction says who can). */
const GROUP_NOTES: Record<string, string> = {
  small: "only the small model knows",
  wide: "only the wide model knows",
  both: "both know",
  none: "neither knows (only an adapter helps)",
};

function groupSection(r: EvaluationResults): string[] {
  const key = alphaKey(r.trainingAlpha);
  const first = r.perSeed[0]?.methods[0]?.byAlpha[key]?.byGroup;
  if (first == null) return [];
  const groups = Object.keys(GROUP_NOTES).filter((g) => g in first);
  const out = [
    `## Quality by keyword group (alpha = ${r.trainingAlpha})`,
    "",
    "Mean over seeds of each group's test items. By construction a Student answers exactly the keywords its model knows; without adapters no assignment answers the last group.",
    "",
    `| method | ${groups.map((g) => `${g}: ${GROUP_NOTES[g]}`).join(" | ")} |`,
    `| --- | ${groups.map(() => "---").join(" | ")} |`,
  ];
  for (const m of r.summary) {
    const per = r.perSeed.map((s) => s.methods.find((x) => x.name === m.name)!.byAlpha[key].byGroup ?? {});
    out.push(`| ${m.name} | ${groups.map((g) => f(mean(per.map((x) => x[g]?.quality ?? NaN)))).join(" | ")} |`);
  }
  return out;
}

function routingSection(r: EvaluationResults, file: string | undefined): string[] {
  const curves = r.perSeed.flatMap((s) => (s.routeLlmCurve ? [{ seed: s.seed, c: s.routeLlmCurve }] : []));
  const out = ["## RouteLLM-style curve", ""];
  if (curves.length === 0) return [...out, "RouteLLM was not run."];
  const first = curves[0].c;
  out.push(
    `The MF router's threshold sweep (RouteLLM's binary form, the \`routellm-pair\` method, or the all-assignment router's strong/weak scores when only that one ran) on the test items: ${first.points.length} thresholds at the quantile edges of its win rates, routing between ${first.strong} (strong) and ${first.weak} (weak). The sweep counts items sent to the strong configuration; the chart's x axis is the share of agent calls to the costliest candidate this gives. APGR is RouteLLM's average performance gap recovered and CPT(x %) the smallest share of items sent to strong that recovers x % of the gap (both undefined when the strong and the weak configuration reach the same quality: there is no gap).`,
    "",
    "| seed | quality strong | quality weak | APGR | CPT(20 %) | CPT(50 %) | CPT(80 %) | mean quality along the curve |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...curves.map(({ seed, c }) => {
      const cptText = (x: string) => (c.apgr == null && c.strongQuality === c.weakQuality ? "undefined (no gap)" : c.cpt?.[x] == null ? "not reached" : f(c.cpt[x]!));
      return `| ${seed} | ${f(c.strongQuality)} | ${f(c.weakQuality)} | ${c.apgr == null ? "undefined (no gap)" : f(c.apgr)} | ${cptText("20")} | ${cptText("50")} | ${cptText("80")} | ${f(c.meanQuality)} |`;
    }),
    "",
    "| quantile edge | share of items sent to strong | share of agent calls to the costliest candidate | quality | normalised cost |",
    "| --- | --- | --- | --- | --- |",
    ...first.points.map((_, i) => `| ${i} | ${f(mean(curves.map(({ c }) => c.points[i].strongShare)))} | ${f(mean(curves.map(({ c }) => c.points[i].callShare)))} | ${f(mean(curves.map(({ c }) => c.points[i].quality)))} | ${f(mean(curves.map(({ c }) => c.points[i].cost)))} |`),
  );
  if (file) out.push("", `![RouteLLM-style curve](${file})`);
  return out;
}

function depthSection(r: EvaluationResults, file: string | undefined, benchmark: boolean): string[] {
  const key = alphaKey(r.trainingAlpha);
  const depths = r.summary.filter((m) => m.kind === "depth").sort((a, b) => a.depth! - b.depth!);
  const out = ["## LoRA depth", ""];
  if (depths.length === 0) return [...out, "The depth ablation was not run."];
  const best = bestBaselineAt(r, r.trainingAlpha, "quality");
  out.push(
    "| k | quality | reward |",
    "| --- | --- | --- |",
    ...depths.map((m) => `| ${m.depth} | ${cell(m.byAlpha[key].quality, r.seeds.length)} | ${cell(m.byAlpha[key].reward, r.seeds.length)} |`),
    "",
    best ? `Best baseline (dashed in the chart; fixed assignments included): ${best.name}, quality ${f(best.byAlpha[key].quality.mean)}.` : "No baseline was run.",
  );
  if (benchmark) {
    out.push(
      "",
      "What depth can and cannot show here: on the keyword benchmark only the last block of each candidate carries the skill; every earlier block is an exact no-op whose attention output is zero, so an adapter on an earlier o_proj multiplies a zero input and changes nothing. Depth k > 1 only adds generator outputs that cannot act; differences between depths come from training (a larger generator starts from other weights and draws other noise), not from where the adapters sit. The paper's depth effect needs models whose lower layers matter.",
    );
  }
  if (file) out.push("", `![LoRA depth](${file})`);
  return out;
}

function knnSection(r: EvaluationResults): string[] {
  const out = [
    "## HAPS against the kNN router (validation)",
    "",
    `A kNN router on the same standardised routing feature is the least a learned router should match. Validation reward at the training alpha, per seed; HAPS counts as worse when both its figures are below kNN's by more than ${KNN_TOLERANCE}.`,
    "",
  ];
  for (const s of r.perSeed) out.push(knnComparisonLine(s.seed, s.knnComparison ?? null));
  return out;
}

function alphaSection(r: EvaluationResults): string[] {
  const out = [
    "## Does alpha act on the trained router?",
    "",
    "The trained head decides argmax Q - alpha C; Q and C must stay calibrated predictors of quality and normalised cost. Checked per seed on the validation items' action rows (no adapters) over a grid of alphas: the chosen assignments' mean cost never rises (predicted; observed by at most 0.02), no assignment predicted cheaper is passed over where the predicted quality gap is below alpha x the cost gap, and at alpha > 0 the reward is not below the cheapest fixed assignment's by more than the tolerance.",
    "",
  ];
  for (const s of r.perSeed) {
    const c = s.alphaCheck;
    if (c == null) {
      out.push(`- seed ${s.seed}: HAPS not trained, nothing checked.`);
      continue;
    }
    const grid = c.alphas.map((a, k) => `${a}: cost ${f(c.meanCost[k])}, reward ${f(c.reward[k])} (cheapest fixed ${f(c.cheapestFixed.reward[k])})`).join("; ");
    const problems = [
      c.costNeverRises ? null : "the chosen cost rises with alpha somewhere",
      c.cheaperNotChosen.length > 0 ? `${c.cheaperNotChosen.length} (item, alpha) pairs passed over a cheaper assignment` : null,
      c.belowCheapest.length > 0 ? `below the cheapest fixed assignment by more than ${c.tolerance} at alpha ${c.belowCheapest.map((b) => b.alpha).join(", ")}` : null,
    ].filter((p) => p != null);
    out.push(`- seed ${s.seed} (${c.items} items): ${c.passed ? "alpha acts" : `**alpha does not act as a price**: ${problems.join("; ")}`}. By alpha: ${grid}.`);
  }
  return out;
}

function trainingSection(r: EvaluationResults, file: string | undefined): string[] {
  const out = ["## Training", "", "| seed | training | seconds | best validation reward | RL episodes | stopped early | RL improved on the warm-up |", "| --- | --- | --- | --- | --- | --- | --- |"];
  for (const s of r.perSeed) {
    for (const t of s.trainings) out.push(`| ${s.seed} | ${t.name} | ${t.seconds.toFixed(0)} | ${f(t.bestValidReward)} | ${t.rollouts} | ${t.stoppedEarly ? "yes" : "no"} | ${t.rlImproved ? "yes" : "**no**: the warm-up checkpoint was kept"} |`);
  }
  if (file) out.push("", `![training curves](${file})`);
  return out;
}

function mixSection(r: EvaluationResults): string[] {
  const key = alphaKey(r.trainingAlpha);
  const models = r.candidates.map((c) => c.id);
  const out = [
    `## Assignment mix and tokens (alpha = ${r.trainingAlpha})`,
    "",
    `Choices summed over seeds; tokens per seed (mean), in / out, per candidate.`,
    "",
    `| method | ${r.assignments.join(" | ")} | ${models.map((m) => `tokens ${m}`).join(" | ")} |`,
    `| --- | ${r.assignments.map(() => "---").join(" | ")} | ${models.map(() => "---").join(" | ")} |`,
  ];
  for (const m of r.summary) {
    const per = r.perSeed.map((s) => s.methods.find((x) => x.name === m.name)!.byAlpha[key]);
    const mix = r.assignments.map((a) => per.reduce((s, x) => s + (x.assignments[a] ?? 0), 0));
    const failed = per.reduce((s, x) => s + (x.assignments.failed ?? 0), 0);
    const tokens = models.map((id) => `${mean(per.map((x) => x.tokens[id]?.input ?? 0)).toFixed(0)} / ${mean(per.map((x) => x.tokens[id]?.output ?? 0)).toFixed(0)}`);
    out.push(`| ${m.name}${failed > 0 ? ` (${failed} failed)` : ""} | ${mix.join(" | ")} | ${tokens.join(" | ")} |`);
  }
  return out;
}
