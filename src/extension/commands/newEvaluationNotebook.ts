// "HAPS: New Evaluation Notebook": an untitled `.hapseval` notebook with the starter spec, shown in an editor.
import * as vscode from "vscode";
import { NOTEBOOK_TYPE } from "../notebook/EvalNotebookSerializer.ts";
import { starterNotebook } from "../notebook/starterNotebook.ts";

/** Resolves with the new notebook (the tests read its cells). */
export async function newEvaluationNotebook(): Promise<vscode.NotebookDocument> {
  const notebook = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, starterNotebook());
  await vscode.window.showNotebookDocument(notebook);
  return notebook;
}
