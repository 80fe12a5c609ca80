// Entry of the trusted-workspace run (bundled to dist/test/vscode/workspace/index.cjs): the same workspace as the
// Restricted Mode run (written by scripts/vscode/runVsCodeTests.mjs), trusted this time.
import { runMocha } from "../suite/runMocha.ts";

export async function run(): Promise<void> {
  await runMocha(async () => {
    await import("./trustedWorkspace.test.ts");
  });
}
