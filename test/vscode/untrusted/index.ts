// Entry of the Restricted Mode run (bundled to dist/test/vscode/untrusted/index.cjs): VS Code started with Workspace
// Trust on, a workspace that is not trusted, whose .vscode/settings.json tries to choose HAPS's models, download URLs,
// configuration (with an API server) and GPU use (written by scripts/vscode/runVsCodeTests.mjs).
import { runMocha } from "../suite/runMocha.ts";

export async function run(): Promise<void> {
  await runMocha(async () => {
    await import("./untrustedWorkspace.test.ts");
  });
}
