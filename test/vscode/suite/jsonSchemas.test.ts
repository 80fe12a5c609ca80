// The JSON schemas contributed through `jsonValidation` (generated from the zod schemas at build time) reach VS Code's
// JSON language features: a misspelled field and a value outside an enum in an evaluation spec are flagged while the
// file is open, and completion inside a routing configuration offers its fields.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import { hapsApi, sleep } from "./helpers.ts";

async function diagnosticsOf(uri: vscode.Uri, accept: (d: readonly vscode.Diagnostic[]) => boolean, timeoutMs = 30_000): Promise<readonly vscode.Diagnostic[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = vscode.languages.getDiagnostics(uri);
    if (accept(found) || Date.now() > deadline) return found;
    await sleep(250);
  }
}

describe("JSON schemas for hand-written files", () => {
  const dir = mkdtempSync(join(tmpdir(), "haps-schemas-"));
  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    rmSync(dir, { recursive: true, force: true });
  });

  it("an evaluation spec (*.haps-eval.json) is checked: a misspelled field and an unknown method are flagged", async () => {
    await hapsApi();
    const file = join(dir, "smoke.haps-eval.json");
    writeFileSync(file, '{\n  "seedz": [1],\n  "methods": ["random", "magic"]\n}\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await diagnosticsOf(doc.uri, (d) => d.length >= 2);
    const lines = diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`);
    assert.ok(diagnostics.some((d) => d.range.start.line === 1 && /seedz/.test(d.message)), `the misspelled field on line 2: ${lines.join(" | ")}`);
    assert.ok(diagnostics.some((d) => d.range.start.line === 2 && /random|Value is not accepted/.test(d.message)), `the unknown method on line 3: ${lines.join(" | ")}`);
  });

  it("a routing configuration (*.haps.json) offers its fields on completion", async () => {
    const file = join(dir, "models.haps.json");
    writeFileSync(file, "{\n  \n}\n");
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    let labels: string[] = [];
    for (let i = 0; i < 40 && !labels.includes("candidates"); i++) {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", doc.uri, new vscode.Position(1, 2));
      labels = list.items.map((item) => (typeof item.label === "string" ? item.label : item.label.label).replace(/"/g, ""));
      if (!labels.includes("candidates")) await sleep(250);
    }
    for (const field of ["router", "agents", "candidates", "generator", "protocol"]) assert.ok(labels.includes(field), `completion offers ${field}: ${labels.join(", ")}`);
  });
});
