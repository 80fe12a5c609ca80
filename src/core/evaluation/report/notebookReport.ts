// report.md laid out for a notebook cell, answer first: the lead (the title, the main results table and the
// differences between methods with their intervals, with whatever those sections hold) goes above the charts; every other section (how to read the cells, ablations, cost regimes,
// curves, training, assignment mixes, failures, per seed, methods, reproduce) goes below them, folded. report.md itself
// stays whole on disk (the CLI's output); this only splits and renders it, so a section added to the report lands in
// the folded part without a change here.
//
// Rendered twice: as Markdown (what the saved notebook keeps, and the fallback) and as HTML, where wide tables scroll
// inside their own box instead of being cut at the output's right edge, and the details fold in <details>. The HTML
// comes from markdown-it with raw HTML off: text from the report (names from a spec or a data file) stays text.
import MarkdownIt from "markdown-it";

export interface NotebookReport {
  /** Title and the main results section. */
  lead: string;
  /** Headings (without "## ") of the sections in `details`. */
  detailTitles: string[];
  /** The preamble (how to read the tables) and every section but the main results and the chart links. */
  details: string;
}

/**
 * The sections that lead, in the report's order: the main comparison and, where the report has them, the differences
 * between methods with their intervals and tests. Matched by their headings' start.
 */
const LEAD_SECTION = /^## (Main results|Differences and their uncertainty)\b/;
/** Sections the notebook replaces with outputs of its own (the chart images). */
const DROPPED_SECTIONS = /^## Charts\s*$/;
/** A chart's image line inside a section (the output cannot load the file; the chart is an output of its own). */
const CHART_IMAGE = /^!\[[^\]]*\]\([^)\s]+\.svg\)\s*$/;

export function notebookReport(markdown: string): NotebookReport {
  const lines = markdown.split("\n");
  const sections: { heading: string | null; lines: string[] }[] = [{ heading: null, lines: [] }];
  let inFence = false;
  for (const line of lines) {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence && CHART_IMAGE.test(line)) continue;
    if (!inFence && /^## /.test(line)) sections.push({ heading: line, lines: [line] });
    else sections.at(-1)!.lines.push(line);
  }
  const [preamble, ...rest] = sections;
  const title = preamble.lines.find((l) => /^# /.test(l));
  const intro = preamble.lines.filter((l) => l !== title);
  const lead = rest.filter((s) => LEAD_SECTION.test(s.heading!));
  const details = rest.filter((s) => !LEAD_SECTION.test(s.heading!) && !DROPPED_SECTIONS.test(s.heading!));
  const text = (parts: string[][]) => parts.flat().join("\n").replace(/\n{3,}/g, "\n\n").trim();
  const introText = text([intro]);
  return {
    lead: text([title ? [title, ""] : [], ...lead.map((s) => s.lines)]),
    detailTitles: [...(introText ? ["About these tables"] : []), ...details.map((s) => s.heading!.replace(/^## /, ""))],
    details: text([introText ? ["## About these tables", "", introText, ""] : [], ...details.map((s) => s.lines)]),
  };
}

const markdownIt = new MarkdownIt({ html: false, linkify: false, typographer: false });
// Each table in a box of its own that scrolls sideways when the table is wider than the output.
markdownIt.renderer.rules.table_open = () => '<div class="haps-table"><table>\n';
markdownIt.renderer.rules.table_close = () => "</table></div>\n";

/** Scoped by the `haps-report` class: every output of a notebook shares one page. VS Code's theme colours. */
const STYLE = `<style>
.haps-report .haps-table { overflow-x: auto; max-width: 100%; margin: 0 0 12px; }
.haps-report table { border-collapse: collapse; }
.haps-report th, .haps-report td { border: 1px solid var(--vscode-editorWidget-border, rgba(128, 128, 128, 0.35)); padding: 2px 8px; white-space: nowrap; text-align: left; }
.haps-report p, .haps-report li { max-width: 100ch; }
.haps-report details > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
</style>`;

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * `markdown` as an HTML fragment for a text/html output; `folded` puts it in a closed <details> with that summary;
 * `links` (files, as URIs VS Code opens when clicked) go in a line after it.
 */
export function reportHtml(markdown: string, options: { folded?: string; links?: { label: string; href: string }[] } = {}): string {
  const body = markdownIt.render(markdown);
  const inner = options.folded == null ? body : `<details><summary>${escape(options.folded)}</summary>\n${body}</details>`;
  const links = options.links?.length ? `<p class="haps-files">Open ${options.links.map((l) => `<a href="${escape(l.href)}">${escape(l.label)}</a>`).join(" · ")}</p>\n` : "";
  return `${STYLE}\n<div class="haps-report">\n${inner}${links}</div>\n`;
}
