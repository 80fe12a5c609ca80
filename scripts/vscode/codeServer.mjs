// What the extension-test launcher and the GUI end-to-end test share: a scratch folder with a test profile, a
// code-server on a free loopback port in its own process group, headless Chromium, and the workbench URL that loads
// our extension as a development extension.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

const SERVER_START_TIMEOUT_MS = 60_000;

/**
 * User settings of the test instance: nothing that reaches for the network (there is none here) or adds chat
 * chatter to the log.
 */
export const TEST_SETTINGS = {
  "chat.disableAIFeatures": true,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "update.mode": "none",
};

/** User settings of the Restricted Mode run: Workspace Trust on, no trust prompt (the workspace stays untrusted). */
export const UNTRUSTED_SETTINGS = {
  ...TEST_SETTINGS,
  "security.workspace.trust.enabled": true,
  "security.workspace.trust.startupPrompt": "never",
  "security.workspace.trust.banner": "never",
  "security.workspace.trust.untrustedFiles": "open",
};

/**
 * A fresh scratch folder under the tools' cache with the profile folders, the test settings and an environment that
 * keeps code-server and Chromium out of $HOME and /tmp.
 * @param {{ cacheDir: string }} tools
 * @param {{ prefix?: string, userDataDir?: string | null, extensionsDir?: string | null, settings?: object }} [options]
 */
export function prepareScratch(tools, { prefix = "run-", userDataDir = null, extensionsDir = null, settings = TEST_SETTINGS } = {}) {
  const scratch = mkdtempSync(join(tools.cacheDir, prefix));
  userDataDir ??= join(scratch, "user-data");
  extensionsDir ??= join(scratch, "extensions");
  for (const dir of ["xdg-config", "xdg-data", "xdg-cache", "tmp", userDataDir, extensionsDir, join(userDataDir, "User")]) {
    mkdirSync(resolve(scratch, dir), { recursive: true });
  }
  const settingsFile = join(userDataDir, "User", "settings.json");
  if (!existsSync(settingsFile)) writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(scratch, "xdg-config"),
    XDG_DATA_HOME: join(scratch, "xdg-data"),
    XDG_CACHE_HOME: join(scratch, "xdg-cache"),
    TMPDIR: join(scratch, "tmp"),
    // No extension gallery: the tests install nothing, and its lookups only fail (with stack traces) offline.
    EXTENSIONS_GALLERY: "{}",
  };
  return { scratch, userDataDir, extensionsDir, env };
}

/**
 * Starts code-server and waits until it answers. Its own process group, so that one kill reaches the extension host
 * and whatever the extension started.
 * @returns {Promise<{ server: import("node:child_process").ChildProcess, origin: string, port: number, logFile: string }>}
 */
export async function startCodeServer({ tools, scratch, userDataDir, extensionsDir, env, smokeTestDriver = false, workspaceTrust = false }) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const logFile = join(scratch, "code-server.log");
  const serverLog = createWriteStream(logFile);
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
      // Off except for the Restricted Mode run, where an untrusted workspace is the point.
      ...(workspaceTrust ? [] : ["--disable-workspace-trust"]),
      "--disable-getting-started-override",
      "--ignore-last-opened",
      ...(smokeTestDriver ? ["--vscode-option", "enable-smoke-test-driver"] : []),
    ],
    { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout.pipe(serverLog, { end: false });
  server.stderr.pipe(serverLog, { end: false });
  try {
    await waitForServer(`${origin}/healthz`, server, logFile);
  } catch (error) {
    killGroup(server, "SIGKILL");
    throw error;
  }
  return { server, origin, port, logFile };
}

/** The workbench URL with our extension loaded for development (and the tests, when given). */
export function workbenchUrl(origin, port, { folder = null, extensionDevelopmentPaths, extensionTestsPath = null }) {
  const remote = (path) => `vscode-remote://127.0.0.1:${port}${path}`;
  const payload = [
    ...extensionDevelopmentPaths.map((p) => ["extensionDevelopmentPath", remote(p)]),
    ...(extensionTestsPath ? [["extensionTestsPath", remote(extensionTestsPath)]] : []),
  ];
  const url = new URL(`${origin}/`);
  if (folder) url.searchParams.set("folder", folder);
  url.searchParams.set("payload", JSON.stringify(payload));
  return url.href;
}

/** Headless Debian Chromium through playwright-core (nothing downloaded). */
export async function launchChromium(tools, env) {
  const { chromium } = await import("playwright-core");
  if (!existsSync(tools.chromium)) throw new Error(`no browser at ${tools.chromium}; run scripts/vscode/setup.mjs`);
  return await chromium.launch({
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
}

export function freePort() {
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

export function tail(file, lines = 30) {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** The whole group: code-server may be gone while its extension host (and an engine) still run. */
export function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

export function exited(child, timeoutMs) {
  if (child.exitCode != null || child.signalCode != null) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(r, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      r();
    });
  });
}
