// Runs `.hapseval` cells: each code cell holds an evaluation spec (the JSON `haps eval --spec` reads, see
// src/core/evaluation/EvalSpec.ts), which goes to the engine's `evaluate` method. While it runs, the cell shows the
// engine's progress; at the end, report.md, the charts and results.json (evaluationOutputs.ts). Where the files go:
// evalFolders.ts.
//
// Cells run one at a time (an evaluation keeps the engine's threads busy; two at once would only be slower each).
// The cell's stop button cancels its execution token; that aborts the request, which cancels the JSON-RPC request in the engine,
// whose run stops at its next episode; the request settles only once the engine has stopped, and what it wrote stays
// in the work folder for the next run of the same spec to resume from.
import path from "node:path";
import * as vscode from "vscode";
import { parseJsonText } from "../../core/config/readJsonFile.ts";
import type { TrainingProgress } from "../../core/training/progress.ts";
import type { EngineHost } from "../EngineHost.ts";
import { describeError } from "../errors/describeError.ts";
import { CellProgressLog } from "./CellProgressLog.ts";
import { evalFolders } from "./evalFolders.ts";
import { evaluationOutputs } from "./evaluationOutputs.ts";
import { NOTEBOOK_TYPE } from "./EvalNotebookSerializer.ts";

export class EvalNotebookController implements vscode.Disposable {
  static readonly id = "haps-eval-controller";
  private readonly controller: vscode.NotebookController;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The cells asked for so far, run in order. */
  private queue: Promise<void> = Promise.resolve();
  private order = 0;

  constructor(
    private readonly host: EngineHost,
    private readonly globalStorage: vscode.Uri,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.controller = vscode.notebooks.createNotebookController(EvalNotebookController.id, NOTEBOOK_TYPE, "HAPS Evaluation");
    this.controller.supportedLanguages = ["json"];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = "Runs evaluation specs in the HAPS engine";
    this.controller.executeHandler = (cells, notebook) => this.enqueue(cells, notebook);
    // The only controller for this notebook type: preferred, so that running a cell needs no kernel picking.
    const prefer = (notebook: vscode.NotebookDocument) => {
      if (notebook.notebookType === NOTEBOOK_TYPE) this.controller.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
    };
    vscode.workspace.notebookDocuments.forEach(prefer);
    this.subscriptions.push(this.controller, vscode.workspace.onDidOpenNotebookDocument(prefer));
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private enqueue(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    // Created at once, so that every cell shows as queued; each starts when the ones before it are done.
    const executions = cells.filter((c) => c.kind === vscode.NotebookCellKind.Code).map((cell) => this.controller.createNotebookCellExecution(cell));
    const run = this.queue.then(async () => {
      for (const execution of executions) {
        try {
          await this.runCell(execution, notebook);
        } catch (error) {
          // Only VS Code itself can throw here (the notebook was closed while its cell ran); the cells after it still run.
          this.output.error(`HAPS evaluation notebook: a cell could not finish: ${error instanceof Error ? error.message : String(error)}`);
          try {
            execution.end(false, Date.now());
          } catch {
            // it had already ended
          }
        }
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runCell(execution: vscode.NotebookCellExecution, notebook: vscode.NotebookDocument): Promise<void> {
    // Interrupted while it waited for the cells before it: it never ran.
    if (execution.token.isCancellationRequested) return execution.end(undefined);
    execution.executionOrder = ++this.order;
    const started = Date.now();
    execution.start(started);
    const cell = execution.cell;
    const where = `Cell ${cell.index + 1}`;
    const text = cell.document.getText();
    const fail = async (name: string, message: string) => {
      this.output.error(`HAPS evaluation notebook, ${where}: ${message}`);
      await execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name, message })]));
      execution.end(false, Date.now());
    };

    await execution.clearOutput();
    if (text.trim() === "") return fail("Empty cell", `${where} is empty: write an evaluation spec (JSON; every field and its default: src/core/evaluation/EvalSpec.ts).`);
    let spec: unknown;
    try {
      spec = parseJsonText(text, where);
    } catch (error) {
      return fail("Invalid evaluation spec", `${(error as Error).message}\nA cell holds one evaluation spec as JSON.`);
    }

    const { outDir, baseDir, where: place } = evalFolders(notebook, spec, this.globalStorage);
    // The work folder (written to, and reused by later runs) stays inside the output folder: a notebook that comes
    // with a repository must not make the engine write elsewhere on the disk.
    const work = confineWork(spec, outDir);
    if (typeof work === "string") return fail("Invalid evaluation spec", `${where}: ${work}`);
    if (work != null) spec = work;
    const progress = new CellProgressLog(execution, `Evaluating into ${outDir} (${place})`);
    await progress.show();
    const controller = new AbortController();
    const cancel = execution.token.onCancellationRequested(() => controller.abort());
    try {
      const outcome = await this.host.request(
        "evaluate",
        { spec, baseDir, outDir },
        {
          signal: controller.signal,
          onEvent: (event, data) => {
            if (event === "progress") progress.progress(data as TrainingProgress);
            else if (event === "log") progress.log((data as { message: string }).message);
          },
        },
      );
      await progress.flush();
      await execution.replaceOutput(await evaluationOutputs(outcome, outDir, (Date.now() - started) / 1000));
      execution.end(true, Date.now());
    } catch (error) {
      await progress.flush();
      if (controller.signal.aborted) {
        await execution.appendOutput(
          new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stdout(`Stopped. What was done is kept in ${outDir}; run the cell again to resume.\n`)]),
        );
        execution.end(false, Date.now());
        return;
      }
      // The engine names the spec's source "inline evaluate spec"; here the source is this cell.
      const message = describeError(error).message.replace(/^HAPS: /, "").replaceAll("inline evaluate spec", where);
      await fail(error instanceof Error && error.name === "ConfigError" ? "Invalid evaluation spec" : "Evaluation failed", message);
    } finally {
      cancel.dispose();
    }
  }
}

/**
 * The spec with `work` resolved inside `outDir`; null when the spec names no work folder; a message when `work` is an
 * absolute path or climbs out with `..`.
 */
export function confineWork(spec: unknown, outDir: string): Record<string, unknown> | string | null {
  if (spec == null || typeof spec !== "object" || Array.isArray(spec) || !("work" in spec)) return null;
  const work = (spec as { work: unknown }).work;
  if (typeof work !== "string") return null; // the engine names the wrong type
  if (path.isAbsolute(work) || /^[A-Za-z]:/.test(work) || work.split(/[\\/]/).includes(".."))
    return `work: "${work}" must be a folder inside the notebook's output folder (a relative path without ".."); it is resolved against ${outDir}`;
  return { ...(spec as Record<string, unknown>), work: path.join(outDir, work) };
}
