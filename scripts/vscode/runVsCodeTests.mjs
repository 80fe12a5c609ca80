// `npm run test:vscode`: builds the bundles, then runs test/vscode/suite in a real VS Code through
// @vscode/test-electron's runTests(). Which VS Code:
//   HAPS_VSCODE=download     desktop VS Code downloaded by @vscode/test-electron (a failed download fails the run);
//   HAPS_VSCODE=code-server  code-server (VS Code's workbench and Node extension host) in headless Chromium, through
//                            scripts/vscode/launcher.mjs, installed by scripts/vscode/setup.mjs;
//   unset (auto)             the download when it works, else code-server (this project's machines cannot download).
// After the extension tests, the GUI end-to-end test (scripts/vscode/guiTest.mjs) drives the workbench in headless
// Chromium and saves test-results/welcome.png, route-panel.png, chat-question.png, chat.png, chat-after-reload.png and notebook.png; it is skipped when HAPS_VSCODE_GREP
// selects some extension tests, unless HAPS_VSCODE_GUI=1. Before it, the Restricted Mode suite (test/vscode/untrusted)
// runs in a VS Code with Workspace Trust on and an untrusted workspace (skipped with HAPS_VSCODE_GREP unless
// HAPS_VSCODE_UNTRUSTED=1).
// The last line of the output is `vscode: N passed, N failed` (both parts counted); the exit code is non-zero on
// any failure.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import testElectron from "@vscode/test-electron";
import { runGuiTest } from "./guiTest.mjs";
import { setupVsCodeTools, vsCodeToolPaths } from "./setup.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const mode = process.env.HAPS_VSCODE || "auto";
const log = (line) => process.stderr.write(`[test:vscode] ${line}\n`);

async function main() {
  if (!["auto", "download", "code-server"].includes(mode)) throw new Error(`HAPS_VSCODE must be download or code-server, not "${mode}"`);
  const started = Date.now();

  // Always the current sources: a stale bundle would test yesterday's extension.
  const build = spawnSync(process.execPath, [join(repoRoot, "scripts", "build.mjs")], { cwd: repoRoot, stdio: "inherit" });
  if (build.status !== 0) throw new Error("the build failed");

  const extensionTestsPath = join(repoRoot, "dist", "test", "vscode", "suite", "index.cjs");
  const cacheDir = vsCodeToolPaths().cacheDir;
  mkdirSync(cacheDir, { recursive: true });
  // A fresh profile each run: the suite checks lazy activation and changes settings.
  const runDir = mkdtempSync(join(cacheDir, "profile-"));
  const summaryFile = join(runDir, "summary.txt");
  const options = {
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath,
    launchArgs: [`--user-data-dir=${join(runDir, "user-data")}`, `--extensions-dir=${join(runDir, "extensions")}`, "--disable-extensions"],
    // Downloads go to this run's folder, not the user's shared model cache.
    extensionTestsEnv: { HAPS_VSCODE_SUMMARY_FILE: summaryFile, HAPS_MODELS_DIR: join(runDir, "models") },
  };

  // A language model for the vscode-lm tests (vendor haps-test), never packaged: a second development extension for
  // desktop VS Code; code-server loads only one development path, so there it is installed into the profile.
  const lmFixture = join(repoRoot, "test", "vscode", "fixtures", "lm-fixture");
  let vscodeExecutablePath = await desktopVsCode();
  if (vscodeExecutablePath) {
    log(`desktop VS Code: ${vscodeExecutablePath}`);
    options.extensionDevelopmentPath = [repoRoot, lmFixture];
  } else {
    cpSync(lmFixture, join(runDir, "extensions", "haps-test.haps-lm-fixture-0.0.1"), { recursive: true });
    setupVsCodeTools();
    vscodeExecutablePath = join(here, "launcher.mjs");
    chmodSync(vscodeExecutablePath, 0o755); // runTests spawns it as an executable; a checkout may drop the bit
    log("code-server in headless Chromium (scripts/vscode/launcher.mjs)");
  }

  let failure = null;
  try {
    await testElectron.runTests({ ...options, vscodeExecutablePath });
  } catch (error) {
    failure = error;
  }
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, "utf8").trim() : null;
  if (failure || !summary) {
    log(`kept ${runDir} for inspection`);
  } else {
    rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  }
  // Two runs with a workspace whose settings try to choose HAPS's models, URLs and servers: untrusted (Restricted
  // Mode), then trusted (what a trusted repository may still not do).
  let untrusted = { passed: 0, failed: 0 };
  if (!process.env.HAPS_VSCODE_GREP || process.env.HAPS_VSCODE_UNTRUSTED === "1") {
    for (const trusted of [false, true]) {
      log(trusted ? "a trusted workspace's settings" : "Restricted Mode: an untrusted workspace's settings");
      const counts = await runWorkspaceSuite(vscodeExecutablePath, options, trusted);
      untrusted = { passed: untrusted.passed + counts.passed, failed: untrusted.failed + counts.failed };
    }
  }
  let gui = { passed: 0, failed: 0 };
  if (!process.env.HAPS_VSCODE_GREP || process.env.HAPS_VSCODE_GUI === "1") {
    log("GUI end-to-end test: command palette -> Route Query -> route panel; sidebar chat");
    setupVsCodeTools(); // code-server, also where a desktop VS Code ran the extension tests
    gui = await runGuiTest();
  }
  log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!summary) {
    throw new Error(`the suite reported no result (${failure instanceof Error ? failure.message : "VS Code exited without one"})`);
  }
  const [, passed, failed] = /^vscode: (\d+) passed, (\d+) failed$/.exec(summary) ?? [];
  if (passed == null) throw new Error(`unreadable summary: ${summary}`);
  const total = { passed: Number(passed) + untrusted.passed + gui.passed, failed: Number(failed) + untrusted.failed + gui.failed };
  console.log(`vscode: ${total.passed} passed, ${total.failed} failed`);
  if (failure || total.failed > 0) process.exitCode = 1;
}

/**
 * A workspace suite in a fresh profile and a workspace folder written here, whose settings name a configuration file
 * with an API server and an apiKeyEnv, model URLs and GPU settings: untrusted (test/vscode/untrusted, VS Code with
 * Workspace Trust on) or trusted (test/vscode/workspace). Resolves with its counts (a run that reports none counts as
 * one failure).
 */
async function runWorkspaceSuite(vscodeExecutablePath, options, trusted) {
  const name = trusted ? "workspace" : "untrusted";
  const runDir = mkdtempSync(join(vsCodeToolPaths().cacheDir, `${name}-`));
  const workspace = join(runDir, "workspace");
  mkdirSync(join(workspace, ".vscode"), { recursive: true });
  writeFileSync(
    join(workspace, "haps.json"),
    JSON.stringify({
      router: { model: "https://models.invalid/router.gguf" },
      agents: [{ id: "student", role: "acts" }, { id: "teacher", role: "reviews" }],
      candidates: [{ id: "workspace-remote", kind: "openai", baseUrl: "http://127.0.0.1:9/v1", model: "m", apiKeyEnv: "OPENAI_API_KEY" }],
    }),
  );
  writeFileSync(
    join(workspace, ".vscode", "settings.json"),
    JSON.stringify({
      "haps.configFile": "haps.json",
      "haps.models.router": "https://models.invalid/router.gguf",
      "haps.models.candidates": [{ model: "https://models.invalid/candidate.gguf", name: "workspace-url" }],
      "haps.models.embedding": "https://models.invalid/embedding.gguf",
      "haps.gpu": "cuda",
      "haps.threads": 7,
      // A workspace may not turn the editors' text back on where the user turned it off (a user setting only).
      "haps.chat.editorContext": true,
    }),
  );
  const summaryFile = join(runDir, "summary.txt");
  let failure = null;
  try {
    await testElectron.runTests({
      ...options,
      vscodeExecutablePath,
      extensionTestsPath: join(repoRoot, "dist", "test", "vscode", name, "index.cjs"),
      launchArgs: [`--user-data-dir=${join(runDir, "user-data")}`, `--extensions-dir=${join(runDir, "extensions")}`, "--disable-extensions", workspace],
      extensionTestsEnv: { ...options.extensionTestsEnv, HAPS_VSCODE_SUMMARY_FILE: summaryFile, HAPS_VSCODE_WORKSPACE_TRUST: trusted ? "0" : "1", HAPS_VSCODE_GREP: "" },
    });
  } catch (error) {
    failure = error;
  }
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, "utf8").trim() : "";
  const [, passed, failed] = /^vscode: (\d+) passed, (\d+) failed$/.exec(summary) ?? [];
  if (passed == null) {
    log(`the ${name} run reported no result (${failure instanceof Error ? failure.message : "no summary"}); kept ${runDir}`);
    return { passed: 0, failed: 1 };
  }
  if (failure == null && Number(failed) === 0) rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  else log(`kept ${runDir} for inspection`);
  return { passed: Number(passed), failed: Number(failed) };
}

/** The desktop VS Code's executable, or null where code-server is to be used instead. */
async function desktopVsCode() {
  if (mode === "code-server") return null;
  try {
    return await testElectron.downloadAndUnzipVSCode({
      cachePath: join(vsCodeToolPaths().cacheDir, "desktop"),
      extensionDevelopmentPath: repoRoot,
    });
  } catch (error) {
    if (mode === "download") throw error;
    log(`no desktop VS Code (${error instanceof Error ? error.message : error}); using code-server`);
    return null;
  }
}

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
