// The adapter chart: each generated layer's top singular values as bars, grouped by agent and layer, on one scale.
// SVG built element by element (labels are text nodes); colours come from the theme through CSS classes.
import type { AdapterView } from "./protocol.ts";
import { formatNumber } from "./routeModel.ts";

const SVG = "http://www.w3.org/2000/svg";
const BAR = 14;
const GAP = 4;
const GROUP_GAP = 24;
const HEIGHT = 120;
const LABEL = 32;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, String(value));
  return el;
}

/** Null when no adapter was generated (every chosen model closed). */
export function singularValueChart(adapters: AdapterView[], agentName: (agent: string) => string): SVGSVGElement | null {
  const groups = adapters.flatMap((a) => a.layers.map((l) => ({ agent: a.agent, layer: l.layer, values: l.topSingularValues })));
  if (groups.length === 0) return null;
  const max = Math.max(...groups.flatMap((g) => g.values), Number.MIN_VALUE);
  const widths = groups.map((g) => Math.max(1, g.values.length) * (BAR + GAP) - GAP);
  const width = widths.reduce((s, w) => s + w, 0) + GROUP_GAP * (groups.length + 1);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${HEIGHT + LABEL}`, width, height: HEIGHT + LABEL, class: "chart", role: "img" });
  chart.setAttribute(
    "aria-label",
    `Top singular values of each generated adapter layer, largest ${formatNumber(max)}: ` +
      groups.map((g) => `${agentName(g.agent)} layer ${g.layer}: ${g.values.map(formatNumber).join(", ")}`).join("; "),
  );
  chart.append(svg("line", { x1: 0, y1: HEIGHT, x2: width, y2: HEIGHT, class: "chart-axis" }));
  let x = GROUP_GAP;
  groups.forEach((g, gi) => {
    g.values.forEach((value, k) => {
      const h = max > 0 ? Math.max(1, (value / max) * (HEIGHT - 8)) : 1;
      const bar = svg("rect", { x: x + k * (BAR + GAP), y: HEIGHT - h, width: BAR, height: h, class: `chart-bar chart-bar-${g.agent === "teacher" ? "teacher" : "student"}` });
      bar.setAttribute("data-bar", "");
      const title = svg("title", {});
      title.textContent = `${agentName(g.agent)}, layer ${g.layer}: sigma ${k + 1} = ${formatNumber(value)}`;
      bar.append(title);
      chart.append(bar);
    });
    const label = svg("text", { x: x + widths[gi] / 2, y: HEIGHT + 14, "text-anchor": "middle", class: "chart-label" });
    label.textContent = `${agentName(g.agent)} L${g.layer}`;
    chart.append(label);
    x += widths[gi] + GROUP_GAP;
  });
  return chart;
}
