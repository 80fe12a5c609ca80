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
// Tools come from scripts/vscode/setup.mjs (run it first; this script installs nothing).
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { format } from "node:util";
import { setupVsCodeToolsPresent } from "./setup.mjs";

const TIMEOUT_MS = Number(process.env.HAPS_VSCODE_TIMEOUT_MS) || 600_000;
const SERVER_START_TIMEOUT_MS = 60_000;
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

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForServer(url, server, logFile) {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode != null || server.signalCode != null) {
      throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}) before serving:\n${tail(logFile)}`);
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url} within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${tail(logFile)}`);
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
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

/**
 * User settings of the test instance: nothing that reaches for the network (there is none here) or adds chat
 * chatter to the log.
 */
const TEST_SETTINGS = {
  "chat.disableAIFeatures": true,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "update.mode": "none",
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tools = setupVsCodeToolsPresent();
  const scratch = mkdtempSync(join(tools.cacheDir, "run-"));
  const userDataDir = args.userDataDir ?? join(scratch, "user-data");
  const extensionsDir = args.extensionsDir ?? join(scratch, "extensions");
  for (const dir of ["xdg-config", "xdg-data", "xdg-cache", "tmp", userDataDir, extensionsDir, join(userDataDir, "User")]) {
    mkdirSync(resolve(scratch, dir), { recursive: true });
  }
  const settingsFile = join(userDataDir, "User", "settings.json");
  if (!existsSync(settingsFile)) writeFileSync(settingsFile, `${JSON.stringify(TEST_SETTINGS, null, 2)}\n`);
  // code-server and Chromium write into $HOME/.config, $HOME/.local and /tmp unless told otherwise.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(scratch, "xdg-config"),
    XDG_DATA_HOME: join(scratch, "xdg-data"),
    XDG_CACHE_HOME: join(scratch, "xdg-cache"),
    TMPDIR: join(scratch, "tmp"),
    // No extension gallery: the tests install nothing, and its lookups only fail (with stack traces) offline.
    EXTENSIONS_GALLERY: "{}",
  };

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
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const logFile = join(scratch, "code-server.log");
    const serverLog = createWriteStream(logFile);
    // Its own process group, so that one kill reaches the extension host and whatever the extension started.
    const server = spawn(
      tools.node,
      [
        tools.codeServerEntry,
        "--bind-addr", `127.0.0.1:${port}`,
        "--auth", "none",
        "--config", join(scratch, "code-server.yaml"),
        "--user-data-dir", userDataDir,
        "--extensions-dir", extensionsDir,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        "--ignore-last-opened",
        "--vscode-option", "enable-smoke-test-driver",
      ],
      { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(server);
    server.stdout.pipe(serverLog, { end: false });
    server.stderr.pipe(serverLog, { end: false });
    server.on("exit", (code, signal) => {
      if (!exiting) void finish(EXIT_HARNESS, `code-server exited (${code ?? signal}) during the run:\n${tail(logFile)}`);
    });
    await waitForServer(`${origin}/healthz`, server, logFile);
    log(`code-server ${origin} ready`);

    const remote = (path) => `vscode-remote://127.0.0.1:${port}${path}`;
    const payload = [
      ...args.extensionDevelopmentPaths.map((p) => ["extensionDevelopmentPath", remote(p)]),
      ["extensionTestsPath", remote(args.extensionTestsPath)],
    ];
    const url = new URL(`${origin}/`);
    if (args.folder) url.searchParams.set("folder", args.folder);
    url.searchParams.set("payload", JSON.stringify(payload));

    const { chromium } = await import("playwright-core");
    if (!existsSync(tools.chromium)) throw new Error(`no browser at ${tools.chromium}; run scripts/vscode/setup.mjs`);
    browser = await chromium.launch({
      executablePath: tools.chromium,
      headless: true,
      env,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
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
    await page.goto(url.href);
    log("workbench opened; running the extension tests");
    const code = await testsDone;
    await finish(code, null);
  } catch (error) {
    await finish(EXIT_HARNESS, `failed: ${error instanceof Error ? error.stack ?? error.message : error}`);
  }
}

/** The whole group: code-server may be gone while its extension host (and an engine) still run. */
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

function exited(child, timeoutMs) {
  if (child.exitCode != null || child.signalCode != null) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(r, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      r();
    });
  });
}

await main();
