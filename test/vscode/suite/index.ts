// Entry that VS Code's extension host loads for `--extensionTestsPath` (bundled to dist/test/vscode/suite/index.cjs).
// It runs the suites with mocha's spec reporter, so the log ends with mocha's "N passing" / "N failing", and records
// the counts for the final `vscode: N passed, N failed` line.
import { runMocha } from "./runMocha.ts";

export async function run(): Promise<void> {
  await runMocha(async () => {
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
  });
}
