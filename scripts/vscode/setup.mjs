// Installs, once, what the extension tests need on a machine where desktop VS Code cannot be downloaded:
// Debian's chromium and libkrb5-dev, Node 24 (code-server refuses any other major) and code-server, which is
// VS Code's workbench served to a browser with a real Node extension host.
//
// Everything but the Debian packages goes under `.cache/vscode-test/` in the repository (git-ignored). Each step
// writes a stamp file only after it succeeded, so an interrupted install is redone rather than trusted.
//
// Run directly (`node scripts/vscode/setup.mjs`) or import `setupVsCodeTools()`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";
const DEBIAN_PACKAGES = ["chromium", "libkrb5-dev"];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Where the tools live; nothing is installed by this function.
 * @param {string} [cacheDir] Defaults to `<repo>/.cache/vscode-test`.
 */
export function vsCodeToolPaths(cacheDir = join(repoRoot, ".cache", "vscode-test")) {
  const nodePrefix = join(cacheDir, `node-${NODE_VERSION}`);
  // The `node` package's preinstall fetches the real build as `node-<platform>-<arch>`: binary plus headers.
  const nodeHome = join(nodePrefix, "node_modules", "node", "node_modules", `node-${process.platform}-${process.arch}`);
  const codeServerPrefix = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  return {
    cacheDir,
    nodePrefix,
    nodeHome,
    node: join(nodeHome, "bin", "node"),
    codeServerPrefix,
    codeServerEntry: join(codeServerPrefix, "node_modules", "code-server", "out", "node", "entry.js"),
    /** Override with HAPS_CHROMIUM. Defaults to Debian's `/usr/bin/chromium`. */
    chromium: process.env.HAPS_CHROMIUM || "/usr/bin/chromium",
  };
}

/**
 * Installs whatever is missing and returns the tool paths.
 * @param {{ cacheDir?: string, log?: (line: string) => void }} [options] `log` defaults to stderr lines.
 */
export function setupVsCodeTools({ cacheDir, log = (line) => process.stderr.write(`[vscode-setup] ${line}\n`) } = {}) {
  const paths = vsCodeToolPaths(cacheDir);
  mkdirSync(paths.cacheDir, { recursive: true });
  ensureDebianPackages(log);
  ensureNode(paths, log);
  ensureCodeServer(paths, log);
  return paths;
}

/** The tool paths, or an error that says to run the set-up when something is missing. Installs nothing. */
export function setupVsCodeToolsPresent(cacheDir) {
  const paths = vsCodeToolPaths(cacheDir);
  for (const file of [paths.node, paths.codeServerEntry, paths.chromium]) {
    if (!existsSync(file)) throw new Error(`${file} is missing; run \`node scripts/vscode/setup.mjs\` first`);
  }
  return paths;
}

function ensureDebianPackages(log) {
  const missing = DEBIAN_PACKAGES.filter((name) => !debianPackageInstalled(name));
  if (missing.length === 0) {
    log(`debian packages present: ${DEBIAN_PACKAGES.join(", ")}`);
    return;
  }
  if (process.platform !== "linux" || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error(`missing ${missing.join(", ")} and no apt-get here; install them (chromium and Kerberos headers) by hand`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(", ")}; run as root or: sudo apt-get install -y ${missing.join(" ")}`);
  }
  log(`installing ${missing.join(", ")} with apt-get (a few minutes the first time)`);
  run("apt-get", ["update"], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

function debianPackageInstalled(name) {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" });
  return r.status === 0 && r.stdout.includes("install ok installed");
}

function ensureNode(paths, log) {
  const stamp = join(paths.nodePrefix, ".installed");
  if (existsSync(stamp) && existsSync(paths.node)) {
    log(`node ${NODE_VERSION} present`);
    return;
  }
  log(`installing node@${NODE_VERSION} from the npm registry into ${paths.nodePrefix}`);
  freshPrefix(paths.nodePrefix);
  run(process.execPath, [npmCli(), "install", "-E", "--no-audit", "--no-fund", "--prefix", paths.nodePrefix, `node@${NODE_VERSION}`], {
    env: environmentWithoutNpm(),
  });
  const version = spawnSync(paths.node, ["--version"], { encoding: "utf8" }).stdout?.trim();
  if (version !== `v${NODE_VERSION}`) throw new Error(`node@${NODE_VERSION} installed, but ${paths.node} reports ${version}`);
  writeFileSync(stamp, `${NODE_VERSION}\n`);
}

function ensureCodeServer(paths, log) {
  const stamp = join(paths.codeServerPrefix, ".installed");
  if (existsSync(stamp) && existsSync(paths.codeServerEntry)) {
    log(`code-server ${CODE_SERVER_VERSION} present`);
    return;
  }
  log(`installing code-server@${CODE_SERVER_VERSION} (compiles native addons with node ${NODE_VERSION}; ~2 minutes)`);
  freshPrefix(paths.codeServerPrefix);
  // npm itself runs on Node 24 and node-gyp finds Node 24's headers: the machine's npm config may point `nodedir`
  // at another Node's headers, and nothing can be downloaded here to fix a mismatch.
  run(paths.node, [npmCli(), "install", "-E", "--no-audit", "--no-fund", "--prefix", paths.codeServerPrefix, `code-server@${CODE_SERVER_VERSION}`], {
    env: {
      ...environmentWithoutNpm(),
      PATH: `${join(paths.nodeHome, "bin")}:${process.env.PATH}`,
      npm_config_nodedir: paths.nodeHome,
    },
  });
  if (!existsSync(paths.codeServerEntry)) throw new Error(`code-server installed, but ${paths.codeServerEntry} is missing`);
  writeFileSync(stamp, `${CODE_SERVER_VERSION}\n`);
}

/**
 * Under `npm run`, the environment carries the outer npm's settings as npm_config_*; the inner npm would take them
 * as its own (code-server's postinstall reads the Node version from npm_config_user_agent and refuses Node 20).
 */
function environmentWithoutNpm() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|NODE$|INIT_CWD$)/i.test(name)),
  );
}

/** A prefix folder with its own package.json, so npm installs there and not into a parent project. */
function freshPrefix(prefix) {
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, "package.json"), `${JSON.stringify({ name: "haps-vscode-test-tools", private: true })}\n`);
}

/** The npm that runs this script (npm sets npm_execpath), else the one installed beside this Node. */
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
  ];
  const found = candidates.find((p) => p && p.endsWith("npm-cli.js") && existsSync(p));
  if (!found) throw new Error("cannot find npm-cli.js; run through npm or install npm beside node");
  return found;
}

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    const paths = setupVsCodeTools();
    process.stderr.write(`[vscode-setup] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(paths, null, 1)}\n`);
  } catch (error) {
    process.stderr.write(`[vscode-setup] failed: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  }
}
