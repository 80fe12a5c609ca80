// A running evaluation's progress as one live output of its cell: a line per phase (updated in place as its count
// grows) and the engine's log lines in between, redrawn at most a few times a second.
import * as vscode from "vscode";
import { phaseLabel, progressLine, type TrainingProgress } from "../../core/training/progress.ts";

/** Redraws at most this often; an evaluation emits an event per episode (hundreds a minute). */
const REDRAW_MS = 250;
/** Lines kept; the oldest log lines go first (phase lines are few and stay). */
const MAX_LINES = 200;

interface Line {
  /** Phase and seed of a progress line; null for a log line. */
  key: string | null;
  text: string;
  /** A phase's message comes with its first event only (e.g. "96 rows already there"); it stays on its line. */
  message?: string;
}

export class CellProgressLog {
  private readonly lines: Line[] = [];
  private readonly output: vscode.NotebookCellOutput;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Output updates one after the other: VS Code applies them in the order they are sent. */
  private writing: Thenable<void> = Promise.resolve();

  constructor(
    private readonly execution: vscode.NotebookCellExecution,
    heading: string,
  ) {
    this.lines.push({ key: null, text: heading });
    this.output = new vscode.NotebookCellOutput([this.item()]);
  }

  /** Shows the output (the cell's first and, while it runs, only one). */
  async show(): Promise<void> {
    await this.execution.replaceOutput([this.output]);
  }

  progress(p: TrainingProgress): void {
    // A validation result is worth a line of its own, as in the CLI; other phases update their line.
    if (p.phase === "validate") {
      if (p.message) this.push({ key: null, text: `${phaseLabel(p)}: ${p.message}` });
    } else {
      const key = `${p.phase}|${p.seed ?? ""}`;
      const line = this.lines.find((l) => l.key === key);
      const message = p.message ?? line?.message;
      const text = progressLine({ ...p, message });
      if (line) Object.assign(line, { text, message });
      else this.push({ key, text, message });
    }
    this.schedule();
  }

  log(message: string): void {
    this.push({ key: null, text: message });
    this.schedule();
  }

  /** Draws what is pending now and waits for it (before the final outputs replace this one). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draw();
    await this.writing;
  }

  /** The text shown so far. */
  get text(): string {
    return this.lines.map((l) => l.text).join("\n");
  }

  private push(line: Line): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) {
      const oldestLog = this.lines.findIndex((l, i) => i > 0 && l.key == null);
      this.lines.splice(oldestLog > 0 ? oldestLog : 1, 1);
    }
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.draw();
    }, REDRAW_MS);
  }

  private draw(): void {
    const item = this.item();
    this.writing = this.writing.then(() => this.execution.replaceOutputItems(item, this.output)).then(undefined, () => undefined);
  }

  private item(): vscode.NotebookCellOutputItem {
    return vscode.NotebookCellOutputItem.stdout(`${this.text}\n`);
  }
}
