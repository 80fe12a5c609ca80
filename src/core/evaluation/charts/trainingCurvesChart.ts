// Training curves: the validation reward after each validation of joint RL (JointRl's history), against the training
// items seen, for every training of the evaluation (HAPS and its ablations), one line per seed.
import type { TopLevelSpec } from "vega-lite";
import type { EvaluationResults } from "../types.ts";

export function trainingCurvesChart(r: EvaluationResults): TopLevelSpec | null {
  const rows = r.perSeed.flatMap((s) => s.trainings.flatMap((t) => t.rl.map((h) => ({ run: t.name, seed: `seed ${s.seed}`, items: h.items, reward: h.validReward }))));
  if (rows.length === 0) return null;
  const runs = [...new Set(rows.map((x) => x.run))];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Joint RL: validation reward during training", subtitle: [r.dataset, `alpha ${r.trainingAlpha}; the first point of each line is the warm-started router`] },
    width: 520,
    height: 320,
    data: { values: rows },
    encoding: {
      x: { field: "items", type: "quantitative", title: "training items seen in RL" },
      y: { field: "reward", type: "quantitative", title: "validation reward", scale: { zero: false } },
      color: { field: "run", type: "nominal", title: "training", sort: runs, scale: { scheme: "tableau10" } },
    },
    layer: [
      { mark: { type: "line", opacity: 0.85 }, encoding: { strokeDash: { field: "seed", type: "nominal", title: "seed" }, detail: { field: "seed" } } },
      { mark: { type: "point", filled: true, size: 30 }, encoding: { detail: { field: "seed" } } },
    ],
  };
}
