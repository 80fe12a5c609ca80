// The .hapseval notebook's serializer through VS Code itself: a file with outputs opens with them, and a save writes
// them back, so a saved notebook reopens with its outputs.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { hapsApi } from "./helpers.ts";

const SPEC = JSON.stringify({ dataset: "hotpotqa", split: "test", limit: 4 }, null, 2);
const TABLE = "| method | EM |\n| --- | --- |\n| HAPS | 0.25 |\n";
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
const RAW = JSON.stringify({ em: 0.25, f1: 0.31 });

function outputsOf(cell: vscode.NotebookCell): { mime: string; text: string }[] {
  return cell.outputs.flatMap((o) => o.items.map((i) => ({ mime: i.mime, text: new TextDecoder().decode(i.data) })));
}

describe("Evaluation notebook (.hapseval)", () => {
  const dir = mkdtempSync(join(tmpdir(), "haps-notebook-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reopens a saved notebook with its Markdown, SVG and JSON outputs", async () => {
    await hapsApi();
    const file = join(dir, "eval.hapseval");
    writeFileSync(
      file,
      JSON.stringify({
        hapseval: 1,
        cells: [
          { kind: "markdown", source: "# Evaluation" },
          {
            kind: "spec",
            source: SPEC,
            outputs: [{ items: [{ mime: "text/markdown", text: TABLE }, { mime: "image/svg+xml", text: SVG }, { mime: "application/json", text: RAW }] }],
          },
        ],
      }),
    );
    const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    assert.equal(notebook.notebookType, "haps-eval");
    assert.equal(notebook.cellCount, 2);
    assert.equal(notebook.cellAt(0).kind, vscode.NotebookCellKind.Markup);
    const spec = notebook.cellAt(1);
    assert.equal(spec.kind, vscode.NotebookCellKind.Code);
    assert.equal(spec.document.languageId, "json");
    assert.deepEqual(outputsOf(spec), [
      { mime: "text/markdown", text: TABLE },
      { mime: "image/svg+xml", text: SVG },
      { mime: "application/json", text: RAW },
    ]);

    // Change the spec and save through VS Code: the serializer writes the outputs back with it.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(spec.document.uri, new vscode.Range(0, 0, spec.document.lineCount, 0), SPEC.replace("4", "8"));
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await notebook.save(), "saved");
    const saved = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(saved.cells[1].source, SPEC.replace("4", "8"));
    assert.deepEqual(saved.cells[1].outputs[0].items, [
      { mime: "text/markdown", text: TABLE },
      { mime: "image/svg+xml", text: SVG },
      { mime: "application/json", text: RAW },
    ]);
  });

  it("restores only the outputs HAPS writes: a text/html output in a saved file is left out, with a line saying so", async () => {
    await hapsApi();
    const file = join(dir, "html.hapseval");
    const html = '<img src=x onerror="alert(1)">';
    writeFileSync(
      file,
      JSON.stringify({ hapseval: 1, cells: [{ kind: "spec", source: SPEC, outputs: [{ items: [{ mime: "text/html", text: html }, { mime: "text/markdown", text: TABLE }] }] }] }),
    );
    const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
    const outputs = outputsOf(notebook.cellAt(0));
    assert.deepEqual(outputs.map((o) => o.mime), ["application/vnd.code.notebook.stdout", "text/markdown"]);
    assert.match(outputs[0].text, /An output of type "text\/html" in the saved file was not restored/);
    assert.ok(!JSON.stringify(outputs).includes("onerror"), "the HTML itself is gone");

    // A report part (its metadata says so): its HTML is rebuilt from its Markdown twin, never taken from the file.
    const part = join(dir, "part.hapseval");
    const planted = `${TABLE}\n\n<script>alert(2)</script>\n`;
    writeFileSync(
      part,
      JSON.stringify({ hapseval: 1, cells: [{ kind: "spec", source: SPEC, outputs: [{ items: [{ mime: "text/html", text: html }, { mime: "text/markdown", text: planted }], metadata: { part: "lead", file: join(dir, "report.md") } }] }] }),
    );
    const reopened = outputsOf((await vscode.workspace.openNotebookDocument(vscode.Uri.file(part))).cellAt(0));
    assert.deepEqual(reopened.map((o) => o.mime), ["text/html", "text/markdown"]);
    assert.ok(!reopened[0].text.includes("onerror"), "the file's HTML is not used");
    assert.match(reopened[0].text, /<div class="haps-table"><table>/, "the HTML is made from the Markdown");
    assert.match(reopened[0].text, /&lt;script&gt;alert\(2\)&lt;\/script&gt;/, "raw HTML in the Markdown stays text");
    assert.ok(!reopened[0].text.includes("<script>"));
  });

  it("refuses a file that is not a HAPS evaluation notebook, naming the field", async () => {
    await hapsApi();
    const file = join(dir, "bad.hapseval");
    writeFileSync(file, JSON.stringify({ hapseval: 1, cells: [{ kind: "code", source: "{}" }] }));
    await assert.rejects(Promise.resolve(vscode.workspace.openNotebookDocument(vscode.Uri.file(file))), /cells\.0\.kind/);
  });
});
