// Each method's cost-quality front over seeds: its operating points averaged per swept alpha, the front (upper hull),
// the area under it and RouteLLM's CPT(50 %) and CPT(80 %) along it - the smallest share of agent calls to the
// costliest candidate at which the method recovers that share of the gap between All-Weak and All-Strong.
import { areaUnderFront, cpt, paretoFront } from "../metrics/routing/index.ts";
import { mean } from "./summarise.ts";
import type { EvaluationResults, ParetoSummary } from "./types.ts";

/** All-Weak and All-Strong: the fixed assignments whose every agent runs the cheapest / the costliest candidate. */
export function referenceRows(r: Pick<EvaluationResults, "candidates" | "agents">): { weak: string; strong: string } {
  const price = (c: EvaluationResults["candidates"][number]) => c.price.input + c.price.output;
  const weak = r.candidates.reduce((b, c) => (price(c) < price(b) ? c : b));
  const strong = r.candidates.reduce((b, c) => (price(c) > price(b) ? c : b));
  const label = (id: string) => `Fixed (${r.agents.map((a) => `${a}=${id}`).join(", ")})`;
  return { weak: label(weak.id), strong: label(strong.id) };
}

export function summarisePareto(r: Pick<EvaluationResults, "perSeed" | "candidates" | "agents">): ParetoSummary[] {
  const first = r.perSeed[0];
  if (first == null) return [];
  const { weak, strong } = referenceRows(r);
  const averaged = first.pareto.map((series) => {
    const all = r.perSeed.map((s) => s.pareto.find((x) => x.name === series.name)!);
    const points = series.points.map((p, i) => ({
      alpha: p.alpha,
      quality: mean(all.map((x) => x.points[i].quality)),
      cost: mean(all.map((x) => x.points[i].cost)),
      strongCallShare: mean(all.map((x) => x.points[i].strongCallShare)),
    }));
    return { name: series.name, kind: series.kind, points };
  });
  const weakQuality = averaged.find((s) => s.name === weak)?.points[0].quality;
  const strongQuality = averaged.find((s) => s.name === strong)?.points[0].quality;
  return averaged.map((s) => {
    const front = paretoFront(s.points);
    const onFront = s.points.filter((p) => front.some((f) => f.cost === p.cost && f.quality === p.quality));
    const curve = onFront.map((p) => ({ strongShare: Math.min(1, Math.max(0, p.strongCallShare)), quality: p.quality }));
    const gap = weakQuality != null && strongQuality != null && weakQuality !== strongQuality;
    return {
      ...s,
      front,
      area: areaUnderFront(s.points),
      cpt50: gap ? cpt(curve, weakQuality!, strongQuality!, 0.5) : null,
      cpt80: gap ? cpt(curve, weakQuality!, strongQuality!, 0.8) : null,
    };
  });
}
