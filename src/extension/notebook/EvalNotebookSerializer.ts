// The `.hapseval` notebook's file format (EvalNotebookController runs its cells). A cell holds an evaluation spec as
// JSON, or Markdown notes; outputs - results tables as Markdown, charts as SVG, the raw JSON, progress and errors -
// are saved with the notebook, so a saved notebook reopens with them.
//
// File: { "hapseval": 1, "cells": [{ "kind": "spec" | "markdown", "source": string, "outputs"?: [{ "items":
// [{ "mime": string, "text"?: string, "base64"?: string }] }] }] }. Text mimes are stored as text (diffable);
// anything else as base64.
// A saved file is untrusted (it may come with a repository): only the output types the controller writes are restored
// (RESTORED_MIMES), and a report part's HTML is rebuilt from its Markdown twin; any other item - `text/html` of
// another output, a renderer's own type - is replaced by a line saying it was left out.
import { reportPartHtml, type ReportPartMetadata } from "./evaluationOutputs.ts";
import { z } from "zod";
import * as vscode from "vscode";

export const NOTEBOOK_TYPE = "haps-eval";
const FORMAT_VERSION = 1;

const itemSchema = z
  .object({ mime: z.string().min(1), text: z.string().optional(), base64: z.string().optional() })
  .refine((i) => (i.text == null) !== (i.base64 == null), "an output item holds exactly one of text or base64");
const fileSchema = z.object({
  hapseval: z.literal(FORMAT_VERSION),
  cells: z.array(
    z.object({
      kind: z.enum(["spec", "markdown"]),
      source: z.string(),
      outputs: z.array(z.object({ items: z.array(itemSchema), metadata: z.record(z.string(), z.unknown()).optional() })).optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
type NotebookFile = z.infer<typeof fileSchema>;

/** The output types EvalNotebookController writes: all that a saved file may bring back. */
export const RESTORED_MIMES: ReadonlySet<string> = new Set([
  "application/vnd.code.notebook.stdout",
  "application/vnd.code.notebook.error",
  "text/markdown",
  "image/svg+xml",
  "application/json",
]);

/** The report part an output's metadata names, if it is one (the file's own metadata: checked, not trusted). */
function reportPart(metadata: Record<string, unknown> | undefined): ReportPartMetadata | null {
  if (metadata == null || (metadata.part !== "lead" && metadata.part !== "details") || typeof metadata.file !== "string") return null;
  return { part: metadata.part, file: metadata.file, ...(typeof metadata.outDir === "string" ? { outDir: metadata.outDir } : {}) };
}

/** Mimes kept as text in the file. */
function isTextMime(mime: string): boolean {
  return mime.startsWith("text/") || mime === "application/json" || mime === "image/svg+xml" || mime.endsWith("+json") || mime.startsWith("application/vnd.code.notebook.");
}

export class EvalNotebookSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    const text = new TextDecoder().decode(content);
    if (text.trim() === "") return new vscode.NotebookData([]);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(`HAPS evaluation notebook: invalid JSON: ${(error as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
      throw new Error(`HAPS evaluation notebook: ${problems.join("; ")}`);
    }
    return new vscode.NotebookData(
      parsed.data.cells.map((c) => {
        const cell = new vscode.NotebookCellData(
          c.kind === "spec" ? vscode.NotebookCellKind.Code : vscode.NotebookCellKind.Markup,
          c.source,
          c.kind === "spec" ? "json" : "markdown",
        );
        cell.outputs = (c.outputs ?? []).map((o) => {
          // A report part's HTML is rebuilt from its Markdown twin (raw HTML off), never taken from the file.
          const part = reportPart(o.metadata);
          const markdown = o.items.find((i) => i.mime === "text/markdown" && i.text != null)?.text;
          return new vscode.NotebookCellOutput(
            o.items.map((i) =>
              i.mime === "text/html" && part != null && markdown != null
                ? vscode.NotebookCellOutputItem.text(reportPartHtml(markdown, part), "text/html")
                : RESTORED_MIMES.has(i.mime)
                  ? new vscode.NotebookCellOutputItem(i.text != null ? new TextEncoder().encode(i.text) : Buffer.from(i.base64!, "base64"), i.mime)
                  : vscode.NotebookCellOutputItem.stdout(`An output of type ${JSON.stringify(i.mime.slice(0, 100))} in the saved file was not restored: HAPS restores only the outputs it writes itself.\n`),
            ),
            o.metadata,
          );
        });
        if (c.metadata) cell.metadata = c.metadata;
        return cell;
      }),
    );
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    const file: NotebookFile = {
      hapseval: FORMAT_VERSION,
      cells: data.cells.map((cell) => ({
        kind: cell.kind === vscode.NotebookCellKind.Code ? ("spec" as const) : ("markdown" as const),
        source: cell.value,
        ...(cell.outputs && cell.outputs.length > 0
          ? {
              outputs: cell.outputs.map((o) => ({
                items: o.items.map((i) =>
                  isTextMime(i.mime) ? { mime: i.mime, text: new TextDecoder().decode(i.data) } : { mime: i.mime, base64: Buffer.from(i.data).toString("base64") },
                ),
                ...(o.metadata && Object.keys(o.metadata).length > 0 ? { metadata: o.metadata } : {}),
              })),
            }
          : {}),
        ...(cell.metadata && Object.keys(cell.metadata).length > 0 ? { metadata: cell.metadata } : {}),
      })),
    };
    return new TextEncoder().encode(`${JSON.stringify(file, null, 2)}\n`);
  }
}
