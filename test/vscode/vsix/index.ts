// Entry of the installed-package test (scripts/vscode/runVsixTest.mjs): VS Code loads it as the extension tests of a
// stub development extension, while HAPS itself comes from the VSIX installed into the test editor. Mocha's spec
// reporter, and the `vscode: N passed, N failed` summary as the main suite writes it.
import { writeFileSync } from "node:fs";

const mochaModule = require("mocha") as typeof import("mocha") | { default: typeof import("mocha") };
const Mocha = typeof mochaModule === "function" ? mochaModule : mochaModule.default;

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", reporter: "spec", color: false, timeout: Number(process.env.HAPS_VSCODE_TEST_TIMEOUT_MS) || 180_000 });
  mocha.suite.emit("pre-require", globalThis, "haps-vsix-suite", mocha);
  await import("./installedPackage.test.ts");
  // The launcher forwards the log from this line on (the same marker as the main suite's).
  console.log("haps-vscode-suite: running the installed-package test");
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const line = `vscode: ${runner.stats?.passes ?? 0} passed, ${runner.stats?.failures ?? failures} failed`;
      if (process.env.HAPS_VSCODE_SUMMARY_FILE) writeFileSync(process.env.HAPS_VSCODE_SUMMARY_FILE, `${line}\n`);
      else console.log(line);
      if (failures > 0) reject(new Error(`${failures} installed-package test(s) failed`));
      else resolve();
    });
  });
}
