#!/usr/bin/env node
// Stands in for the VS Code executable that @vscode/test-electron's runTests() spawns, where desktop VS Code cannot
// be downloaded. It takes the same arguments, runs the extension tests in code-server (VS Code's workbench with a
// real Node extension host) opened by headless Chromium, streams the test log to stdout, and exits with the code
// the tests report.
//
// Arguments understood (all others, such as --disable-updates, do not apply to code-server and are ignored):
//   --extensionTestsPath=P --extensionDevelopmentPath=P (repeatable) --user-data-dir=D --extensions-dir=D [folder]
// Environment:
//   HAPS_VSCODE_TIMEOUT_MS   overall limit for the whole run. Defaults to 600 000 (10 minutes).
//   HAPS_VSCODE_KEEP_SCRATCH keep the run's scratch folder (code-server log, browser profile) when set to 1.
//   HAPS_CHROMIUM            the browser. Defaults to /usr/bin/chromium.
//   HAPS_VSCODE_WORKSPACE_TRUST=1  Workspace Trust on, and the folder opened untrusted (the Restricted Mode run).
// Tools come from scripts/vscode/setup.mjs (run it first; this script installs nothing).
import { createWriteStream, existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { format } from "node:util";
import { exited, killGroup, launchChromium, prepareScratch, startCodeServer, tail, TEST_SETTINGS, UNTRUSTED_SETTINGS, workbenchUrl } from "./codeServer.mjs";
import { setupVsCodeToolsPresent } from "./setup.mjs";

const TIMEOUT_MS = Number(process.env.HAPS_VSCODE_TIMEOUT_MS) || 600_000;
/** Exit codes of our own: distinct from a test failure (1). */
const EXIT_TIMEOUT = 124;
const EXIT_HARNESS = 3;

const log = (line) => process.stderr.write(`[vscode-launcher] ${line}\n`);

function parseArgs(argv) {
  const args = { extensionDevelopmentPaths: [], extensionTestsPath: null, userDataDir: null, extensionsDir: null, folder: null };
  for (const arg of argv) {
    const [, name, value] = /^--([^=]+)=(.*)$/s.exec(arg) ?? [];
    if (name === "extensionTestsPath") args.extensionTestsPath = resolve(value);
    else if (name === "extensionDevelopmentPath") args.extensionDevelopmentPaths.push(resolve(value));
    else if (name === "user-data-dir") args.userDataDir = resolve(value);
    else if (name === "extensions-dir") args.extensionsDir = resolve(value);
    else if (!arg.startsWith("-")) args.folder = resolve(arg);
  }
  if (!args.extensionTestsPath || args.extensionDevelopmentPaths.length === 0) {
    throw new Error("expected --extensionTestsPath= and --extensionDevelopmentPath= (as runTests passes them)");
  }
  return args;
}

/** Printed by test/vscode/suite/index.ts when mocha starts; the workbench's start-up chatter before it goes to the log file only. */
const SUITE_START_MARKER = "haps-vscode-suite: running";

/** Workbench chatter that still arrives after the suite started; it stays in workbench.log but not on stdout. */
const WORKBENCH_CHATTER = [
  /^\[AccountPolicyGate\]/,
  /^\[AgentHost\]/,
  /^\[ChatModelSelection\]/,
  /^Ignoring fetching additional builtin extensions/,
  /^Updating additional builtin extensions cache/,
];

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tools = setupVsCodeToolsPresent();
  const workspaceTrust = process.env.HAPS_VSCODE_WORKSPACE_TRUST === "1";
  const { scratch, userDataDir, extensionsDir, env } = prepareScratch(tools, {
    userDataDir: args.userDataDir,
    extensionsDir: args.extensionsDir,
    settings: workspaceTrust ? UNTRUSTED_SETTINGS : TEST_SETTINGS,
  });

  const workbenchLogFile = join(scratch, "workbench.log");
  let suiteStarted = false;
  const children = [];
  let browser = null;
  let exiting = false;
  const cleanup = async (code) => {
    if (browser) await browser.close().catch(() => undefined);
    for (const child of children) killGroup(child, "SIGTERM");
    await Promise.all(children.map((c) => exited(c, 3_000)));
    for (const child of children) killGroup(child, "SIGKILL");
    if (code !== 0 || process.env.HAPS_VSCODE_KEEP_SCRATCH === "1") {
      log(`logs kept in ${scratch} (workbench.log, code-server.log)`);
    } else {
      rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
    }
  };
  const finish = async (code, why) => {
    if (exiting) return;
    exiting = true;
    if (why) log(why);
    if (code !== 0 && !suiteStarted && existsSync(workbenchLogFile)) {
      log(`the suite never started; the workbench's last lines:\n${tail(workbenchLogFile, 40)}`);
    }
    clearTimeout(overall);
    await cleanup(code);
    process.exit(code);
  };
  const overall = setTimeout(() => void finish(EXIT_TIMEOUT, `timed out after ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void finish(130, `stopped by ${signal}`));

  try {
    const started = await startCodeServer({ tools, scratch, userDataDir, extensionsDir, env, smokeTestDriver: true, workspaceTrust });
    const { server, origin, port, logFile } = started;
    children.push(server);
    server.on("exit", (code, signal) => {
      if (!exiting) void finish(EXIT_HARNESS, `code-server exited (${code ?? signal}) during the run:\n${tail(logFile)}`);
    });
    log(`code-server ${origin} ready`);
    const url = workbenchUrl(origin, port, args);
    browser = await launchChromium(tools, env);
    const page = await browser.newPage();
    let reportExit;
    const testsDone = new Promise((resolveExit) => (reportExit = resolveExit));
    await page.exposeFunction("codeAutomationExit", (code) => reportExit(Number(code) || 0));
    const workbenchLog = createWriteStream(workbenchLogFile);
    await page.exposeFunction("codeAutomationLog", (type, args) => {
      // Console-style argument lists from the workbench and the extension host ("%s%s", "%d passing").
      const line = format(...(Array.isArray(args) ? args : [args]));
      workbenchLog.write(`[${type}] ${line}\n`);
      if (line.includes(SUITE_START_MARKER)) suiteStarted = true;
      if (!suiteStarted || WORKBENCH_CHATTER.some((re) => re.test(line))) return;
      if (type === "error") process.stderr.write(`${line}\n`);
      else process.stdout.write(`${line}\n`);
    });
    page.on("pageerror", (error) => log(`page error: ${error.message}`));
    await page.goto(url);
    log("workbench opened; running the extension tests");
    const code = await testsDone;
    await finish(code, null);
  } catch (error) {
    await finish(EXIT_HARNESS, `failed: ${error instanceof Error ? error.stack ?? error.message : error}`);
  }
}

await main();
