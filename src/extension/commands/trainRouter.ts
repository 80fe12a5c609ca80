// "HAPS: Train Router": a training spec (the JSON `haps train --spec` reads, src/core/training/TrainSpec.ts) runs in
// the engine's `train` method under a cancellable progress notification; at the end the produced routing configuration
// (a seed's config.json, which routes with its trained checkpoint) can become `haps.configFile`.
//
// The spec comes from the command's argument (a path or a file URI: tests, the explorer, keybindings), else from a
// quick pick over the workspace's training specs, else from a file dialog.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import type { TrainingProgress } from "../../core/training/progress.ts";
import { progressLine } from "../../core/training/progress.ts";
import type { TrainingSummary } from "../../core/training/Trainer.ts";
import type { EngineHost } from "../EngineHost.ts";
import { describeError } from "../errors/describeError.ts";
import { showError } from "../errors/showError.ts";
import { update as updateSetting } from "./selectModels.ts";

/** Arguments for a caller that needs no UI. */
export interface TrainRouterArgs {
  /** The training spec file. */
  specPath: string;
  /** Set `haps.configFile` to the trained configuration without asking. Defaults to asking. */
  useConfig?: boolean;
}

export type TrainRouterOutcome =
  | { status: "trained"; summary: TrainingSummary; configFile: string; used: boolean }
  | { status: "failed"; message: string }
  | { status: "cancelled" };

/** Workspace JSON files looked at for training specs; larger files are data, not specs. */
const MAX_SPEC_FILES = 500;
const MAX_SPEC_BYTES = 256 * 1024;

export async function trainRouter(host: EngineHost, output: vscode.LogOutputChannel, rawArgs?: unknown): Promise<TrainRouterOutcome> {
  const args = readArgs(rawArgs);
  const specPath = args?.specPath ?? (await pickSpec());
  if (specPath == null) return { status: "cancelled" };
  const name = vscode.workspace.asRelativePath(specPath);
  output.info(`HAPS: training the router with ${specPath}`);

  let summary: TrainingSummary;
  try {
    summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `HAPS: training the router (${name})`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return host.request(
          "train",
          { specPath },
          {
            signal: controller.signal,
            onEvent: (event, data) => {
              if (event === "progress") {
                const line = progressLine(data as TrainingProgress);
                progress.report({ message: line });
                if ((data as TrainingProgress).phase === "validate") output.info(`  ${line}`);
              } else if (event === "log") {
                output.info(`  ${(data as { message: string }).message}`);
              }
            },
          },
        );
      },
    );
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") {
      output.warn("HAPS: training stopped; running the same spec again resumes where it stopped.");
      void vscode.window.showInformationMessage(`HAPS: training stopped. Train with ${name} again to resume where it stopped.`);
      return { status: "cancelled" };
    }
    // The engine names the spec's file and its wrong fields (ConfigError); describeError adds what to do.
    showError(error, output, "Train Router");
    return { status: "failed", message: describeError(error).message };
  }

  // The seed whose router validated best; with one seed, that one.
  const best = summary.seeds.reduce((a, b) => (b.rl.bestValidReward > a.rl.bestValidReward ? b : a));
  output.info(`HAPS: trained ${summary.seeds.length} seed(s) in ${summary.seconds.toFixed(0)} s; output in ${summary.out}`);
  for (const s of summary.seeds) output.info(`  seed ${s.seed}: validation reward ${s.rl.bestValidReward.toFixed(4)}, checkpoint ${s.checkpoint}, configuration ${s.configFile}`);
  const use = async () => {
    await updateSetting("configFile", best.configFile);
    output.info(`HAPS: haps.configFile is now ${best.configFile}; the next route uses the trained router.`);
  };
  if (args?.useConfig) {
    await use();
    return { status: "trained", summary, configFile: best.configFile, used: true };
  }
  const seedNote = summary.seeds.length > 1 ? ` (seed ${best.seed}, the best validation reward)` : "";
  void vscode.window
    .showInformationMessage(
      `HAPS: router trained in ${summary.seconds.toFixed(0)} s${seedNote}. Route with it? This sets haps.configFile to ${best.configFile}.`,
      "Use This Router",
      "Show Log",
    )
    .then(async (choice) => {
      if (choice === "Use This Router") await use();
      else if (choice === "Show Log") output.show(true);
    });
  return { status: "trained", summary, configFile: best.configFile, used: false };
}

/** Our arguments from a caller (`{specPath}`), or a spec file from a menu (a URI) or a keybinding (a path). */
function readArgs(raw: unknown): TrainRouterArgs | null {
  if (raw instanceof vscode.Uri) return raw.scheme === "file" ? { specPath: raw.fsPath } : null;
  if (typeof raw === "string" && raw.trim() !== "") return { specPath: path.resolve(raw) };
  if (raw != null && typeof raw === "object" && typeof (raw as TrainRouterArgs).specPath === "string") {
    const args = raw as TrainRouterArgs;
    return { specPath: path.resolve(args.specPath), useConfig: args.useConfig === true };
  }
  return null;
}

type SpecChoice = vscode.QuickPickItem & { file?: string };

/** A quick pick over the workspace's training specs and a "Browse…" entry; a file dialog when there are none. */
async function pickSpec(): Promise<string | undefined> {
  const specs = await workspaceTrainingSpecs();
  if (specs.length > 0) {
    const choice = await vscode.window.showQuickPick<SpecChoice>(
      [
        ...specs.map((s) => ({ label: path.basename(s.file), description: vscode.workspace.asRelativePath(path.dirname(s.file)), detail: s.detail, file: s.file })),
        { label: "$(folder-opened) Browse…", detail: "A training spec elsewhere (JSON with data and out; see examples/train-*.json)" },
      ],
      { title: "HAPS: Train Router", placeHolder: "Which training spec?", ignoreFocusOut: true },
    );
    if (choice == null) return undefined;
    if (choice.file) return choice.file;
  }
  const uris = await vscode.window.showOpenDialog({ title: "HAPS: training spec", canSelectMany: false, filters: { "Training spec": ["json"] }, openLabel: "Train" });
  return uris?.[0]?.fsPath;
}

/** JSON files of the workspace that look like training specs: an object with `data` and `out`, the required fields. */
async function workspaceTrainingSpecs(): Promise<{ file: string; detail: string }[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const uris = await vscode.workspace.findFiles("**/*.json", "{**/node_modules/**,**/.git/**,**/.cache/**,**/.haps/**}", MAX_SPEC_FILES);
  const found: { file: string; detail: string }[] = [];
  for (const uri of uris) {
    if (uri.scheme !== "file") continue;
    try {
      if ((await stat(uri.fsPath)).size > MAX_SPEC_BYTES) continue;
      const spec = JSON.parse(await readFile(uri.fsPath, "utf8")) as { data?: { format?: unknown }; out?: unknown };
      if (spec == null || typeof spec !== "object" || typeof spec.out !== "string" || spec.data == null || typeof spec.data !== "object") continue;
      found.push({ file: uri.fsPath, detail: `${String(spec.data.format ?? "data")}, output ${spec.out}` });
    } catch {
      // Not JSON, or unreadable: not a spec.
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file));
}
