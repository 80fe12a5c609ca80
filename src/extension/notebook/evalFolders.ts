// Where a notebook cell's evaluation writes and what its relative paths mean.
//
// Output: `<workspace folder>/.haps/evaluations/<notebook name>/<spec hash>/` when a workspace folder is open (the
// notebook's own folder when it lies in one, else the first), else the extension's global storage
// (`<globalStorage>/evaluations/...`). The folder is named after a hash of the spec and the folder its paths resolve
// against: the same spec run again resumes from its work folder (the engine does not run finished episodes and
// trainings again), while an edited spec gets a fresh folder - a work folder may only be reused by the same training
// settings and splits (EvalSpec.ts, `work`).
// Relative paths in the spec (data files, `config`) resolve against the notebook's folder when it is saved on disk,
// else against the workspace folder, else against the output folder. `work` is always inside the output folder
// (EvalNotebookController.confineWork): a notebook is not trusted to write anywhere else.
import { createHash } from "node:crypto";
import path from "node:path";
import * as vscode from "vscode";

export interface EvalFolders {
  /** The evaluation's output folder (results.json, report.md, charts; `work/` inside unless the spec says otherwise). */
  outDir: string;
  /** What the spec's relative paths resolve against. */
  baseDir: string;
  /** Where the output folder lies, in words, for the cell's first line. */
  where: "workspace" | "global storage";
}

/** Characters kept from a notebook's name in a folder name; the rest become "-". */
const UNSAFE = /[^A-Za-z0-9._-]+/g;

export function evalFolders(notebook: vscode.NotebookDocument, spec: unknown, globalStorage: vscode.Uri): EvalFolders {
  const onDisk = notebook.uri.scheme === "file";
  const folder = (onDisk ? vscode.workspace.getWorkspaceFolder(notebook.uri) : undefined) ?? vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
  const root = folder ? path.join(folder.uri.fsPath, ".haps", "evaluations") : path.join(globalStorage.fsPath, "evaluations");
  const name = path.basename(notebook.uri.path).replace(/\.hapseval$/i, "").replace(UNSAFE, "-") || "notebook";
  const given = onDisk ? path.dirname(notebook.uri.fsPath) : folder?.uri.fsPath;
  const hash = createHash("sha256").update(JSON.stringify({ spec, baseDir: given ?? null })).digest("hex").slice(0, 12);
  const outDir = path.join(root, name, hash);
  return { outDir, baseDir: given ?? outDir, where: folder ? "workspace" : "global storage" };
}
