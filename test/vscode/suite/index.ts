// Entry that VS Code's extension host loads for `--extensionTestsPath` (bundled to dist/test/vscode/suite/index.cjs).
// It runs the suites with mocha's spec reporter, so the log ends with mocha's "N passing" / "N failing", and records
// the counts for the final `vscode: N passed, N failed` line.
import { writeFileSync } from "node:fs";

/**
 * mocha 12 is an ES module re-exporting its CommonJS build; depending on the Node version, require() returns the
 * class itself or a namespace whose default is the class. It stays outside the bundle (see scripts/build.mjs).
 */
const mochaModule = require("mocha") as typeof import("mocha") | { default: typeof import("mocha") };
const Mocha = typeof mochaModule === "function" ? mochaModule : mochaModule.default;

/** Per test; the first request starts llama.cpp and generates the default models. Defaults to 120 s. */
const TIMEOUT_MS = Number(process.env.HAPS_VSCODE_TEST_TIMEOUT_MS) || 120_000;

export async function run(): Promise<void> {
  // HAPS_VSCODE_GREP runs only the tests whose full title matches (while working on one part).
  const mocha = new Mocha({ ui: "bdd", reporter: "spec", color: false, timeout: TIMEOUT_MS, grep: process.env.HAPS_VSCODE_GREP || undefined });
  // The suites are bundled into this file; they register `describe`/`it` when imported, so the globals go first.
  mocha.suite.emit("pre-require", globalThis, "haps-vscode-suite", mocha);
  await import("./extension.test.ts");
  await import("./engineCrash.test.ts");
  await import("./routePanel.test.ts");
  await import("./chat.test.ts");
  await import("./firstRun.test.ts");
  await import("./jsonSchemas.test.ts");
  await import("./settingsModels.test.ts");
  await import("./participant.test.ts");
  await import("./notebook.test.ts");
  await import("./languageModels.test.ts");
  await import("./downloads.test.ts");
  await import("./notebookRun.test.ts");
  await import("./trainRouter.test.ts");

  // scripts/vscode/launcher.mjs forwards the log from here on (the workbench's start-up chatter is kept in a file).
  console.log(`haps-vscode-suite: running in VS Code ${vscodeVersion()}`);
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      const failed = runner.stats?.failures ?? failures;
      reportSummary(passed, failed);
      if (failures > 0) reject(new Error(`${failures} VS Code test(s) failed`));
      else resolve();
    });
  });
}

function vscodeVersion(): string {
  const vscode = require("vscode") as typeof import("vscode");
  return `${vscode.version} (${vscode.env.appHost}, UI ${vscode.UIKind[vscode.env.uiKind]})`;
}

/**
 * scripts/vscode/runVsCodeTests.mjs prints the summary as the very last line of the whole run (after the test
 * runner's own "Exit code" line), from the file named by HAPS_VSCODE_SUMMARY_FILE; without it (e.g. the
 * "Extension Tests" launch configuration) the line is printed here.
 */
function reportSummary(passed: number, failed: number): void {
  const line = `vscode: ${passed} passed, ${failed} failed`;
  const file = process.env.HAPS_VSCODE_SUMMARY_FILE;
  if (file) writeFileSync(file, `${line}\n`);
  else console.log(line);
}
