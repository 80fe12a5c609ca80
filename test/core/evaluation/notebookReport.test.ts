// report.md laid out for the notebook, answer first: the title and the main results lead, every other section is in
// the folded details (none lost, none twice), the chart links are dropped, wide tables get a scrolling box, and
// HTML in the report's text stays text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { notebookReport, reportHtml } from "../../../src/core/evaluation/report/notebookReport.ts";

const REPORT = [
  "# HAPS evaluation: keyword benchmark",
  "",
  "Candidates **small** and **wide**; seeds 1.",
  "",
  "Cells are means over 1 seed(s).",
  "",
  "## Main results (alpha = 0)",
  "",
  "| method | quality | normalised cost |",
  "| --- | --- | --- |",
  "| Random | 0.250 | 0.500 |",
  "| HAPS | **0.917** | 0.400 |",
  "",
  "Measured order of mean quality: HAPS 0.917 > Random 0.250.",
  "",
  "## Differences and their uncertainty",
  "",
  "| method | difference in quality | interval | test |",
  "| --- | --- | --- | --- |",
  "| HAPS | +0.667 | [+0.400, +0.900] | p = 0.004 |",
  "",
  "## Ablations (alpha = 0)",
  "",
  "| variant | quality |",
  "| --- | --- |",
  "| HAPS w/o low-level | 0.500 |",
  "",
  "![LoRA depth](depth.svg)",
  "",
  "## Cost regimes",
  "",
  "```",
  "## not a heading inside a fence",
  "```",
  "",
  "## Charts",
  "",
  "![quality-cost](/tmp/out/quality-cost.svg)",
  "",
  "## Reproduce",
  "",
  "`haps eval --spec <spec> --out <dir>`",
  "",
].join("\n");

test("the title, the main results and the differences with their intervals lead; the rest folds, in order, with the chart links dropped", () => {
  const r = notebookReport(REPORT);
  assert.match(r.lead, /^# HAPS evaluation: keyword benchmark\n\n## Main results \(alpha = 0\)\n/);
  assert.match(r.lead, /\| HAPS \| \*\*0\.917\*\* \| 0\.400 \|/);
  assert.match(r.lead, /Measured order of mean quality.*\n\n## Differences and their uncertainty\n/);
  assert.match(r.lead, /\| HAPS \| \+0\.667 \| \[\+0\.400, \+0\.900\] \| p = 0\.004 \|/);
  assert.doesNotMatch(r.lead, /Ablations|Cost regimes|Candidates/);
  assert.deepEqual(r.detailTitles, ["About these tables", "Ablations (alpha = 0)", "Cost regimes", "Reproduce"]);
  assert.match(r.details, /Candidates \*\*small\*\* and \*\*wide\*\*/);
  assert.match(r.details, /## not a heading inside a fence/);
  assert.doesNotMatch(r.details, /## Main results|## Charts|quality-cost\.svg|depth\.svg/, "chart links, in their section or in another, are dropped");
  // Every line of the report is in exactly one part, except the chart section.
  const distinct = REPORT.split("\n").filter((l, i, all) => all.indexOf(l) === i && all.lastIndexOf(l) === i);
  for (const line of distinct.filter((l) => l.trim() && !/Charts|\.svg|^# /.test(l))) {
    const count = (part: string) => part.split("\n").filter((l) => l === line).length;
    assert.equal(count(r.lead) + count(r.details), 1, `"${line}" is in one part`);
  }
});

test("a report without a main results section keeps everything in the details", () => {
  const r = notebookReport("# Title\n\n## Training\n\nrows\n");
  assert.equal(r.lead, "# Title");
  assert.deepEqual(r.detailTitles, ["Training"]);
});

test("HTML: tables scroll in their own box, details fold, and text from the report stays text", () => {
  const lead = reportHtml(notebookReport(REPORT).lead);
  assert.match(lead, /<div class="haps-table"><table>/);
  assert.match(lead, /\.haps-report \.haps-table \{ overflow-x: auto;/);
  assert.doesNotMatch(lead, /<details>/);
  const folded = reportHtml("| <script>alert(1)</script> | x |\n| --- | --- |\n| a | b |\n", { folded: "Detailed <tables>" });
  assert.match(folded, /<details><summary>Detailed &lt;tables&gt;<\/summary>/);
  assert.doesNotMatch(folded, /<script>/);
  assert.match(folded, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  const linked = reportHtml("text", { links: [{ label: "report.md", href: 'file:///tmp/a "b"/report.md' }] });
  assert.match(linked, /<p class="haps-files">Open <a href="file:\/\/\/tmp\/a &quot;b&quot;\/report\.md">report\.md<\/a><\/p>/);
});
