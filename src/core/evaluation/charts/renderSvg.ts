// Charts as SVG, headless: a Vega-Lite spec compiled to Vega and rendered by Vega's own SVG string renderer in Node
// (no browser, no canvas: without the optional `canvas` package Vega estimates text widths, which only affects label
// placement). One place that knows the library; every chart module only builds a Vega-Lite spec.
//
// Both libraries are loaded when the first chart is drawn: the build puts them in chunks of their own (dist/chunks/,
// scripts/build.mjs), so that an installed VSIX has them without a node_modules, while the ~1.8 MB of JavaScript is
// parsed by no CLI or engine start that draws nothing (measured when they were bundled into dist/cli.mjs itself:
// 2.3 -> 4.3 MB and `haps --help` ~0.1 s slower).
import type { TopLevelSpec } from "vega-lite";

/** Fonts and sizes shared by every chart, so the report's figures read alike. */
export const CHART_CONFIG: TopLevelSpec["config"] = {
  font: "DejaVu Sans, Helvetica, Arial, sans-serif",
  axis: { labelFontSize: 12, titleFontSize: 13, grid: true },
  // Vega estimates text widths without a canvas, generously (about 0.8 em per character): a wide limit keeps long
  // method names whole.
  legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 640, titleLimit: 640 },
  title: { fontSize: 15, anchor: "start", subtitleFontSize: 12 },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(compile({ ...spec, config: { ...CHART_CONFIG, ...spec.config } }).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
