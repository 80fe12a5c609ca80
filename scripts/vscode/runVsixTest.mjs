// `npm run test:vsix`: builds the linux-x64 VSIX (CPU binaries only, to keep it quick), installs it into a fresh
// code-server profile (its extensions folder under the system's temporary folder) with `code-server --install-extension`, and runs test/vscode/vsix in that editor through
// scripts/vscode/launcher.mjs. The launcher needs a development extension to attach tests to; a stub with no code
// plays that part, so HAPS itself is the installed package. Prints `vscode: N passed, N failed` last.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { prepareScratch } from "./codeServer.mjs";
import { setupVsCodeTools } from "./setup.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const log = (line) => process.stderr.write(`[test:vsix] ${line}\n`);

async function main() {
  const started = Date.now();
  const tools = setupVsCodeTools();
  // The extensions folder lies outside the repository (and outside the shared tool cache, which lies in a checkout):
  // from inside it, Node would find the repository's node_modules by walking up from the installed package, and a
  // dependency the VSIX lacks (vega, once) would go unnoticed.
  const outside = mkdtempSync(join(tmpdir(), "haps-vsix-extensions-"));
  const { scratch, userDataDir, extensionsDir, env } = prepareScratch(tools, { prefix: "vsix-", extensionsDir: outside });
  let ok = false;
  try {
    log("packaging linux-x64 (CPU binaries)");
    const pack = spawnSync(process.execPath, [join(repoRoot, "scripts", "package.mjs"), "--target", "linux-x64", "--backends", "none", "--out", join(scratch, "vsix")], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
    if (pack.status !== 0) throw new Error("packaging failed");
    process.stderr.write(pack.stdout);
    const vsix = join(scratch, "vsix", JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).name + "-linux-x64-" + JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version + ".vsix");

    log("installing it with code-server --install-extension");
    const install = spawnSync(tools.node, [tools.codeServerEntry, "--install-extension", vsix, "--extensions-dir", extensionsDir, "--user-data-dir", userDataDir], { env, encoding: "utf8" });
    if (install.status !== 0) throw new Error(`code-server --install-extension failed:\n${install.stdout}${install.stderr}`);
    log(install.stdout.trim().split("\n").at(-1) ?? "");

    const suite = join(repoRoot, "dist", "test", "vscode", "vsix", "index.cjs");
    await esbuild.build({ entryPoints: [join(repoRoot, "test", "vscode", "vsix", "index.ts")], outfile: suite, bundle: true, platform: "node", format: "cjs", target: "node20", external: ["vscode", "mocha"], logLevel: "warning" });
    const stub = join(scratch, "stub-extension");
    mkdirSync(stub, { recursive: true });
    writeFileSync(join(stub, "package.json"), JSON.stringify({ name: "haps-vsix-test-host", publisher: "haps-test", version: "0.0.0", engines: { vscode: "^1.90.0" } }));
    const workspace = join(scratch, "workspace");
    mkdirSync(workspace, { recursive: true });

    const summaryFile = join(scratch, "summary.txt");
    const run = spawnSync(
      process.execPath,
      [join(here, "launcher.mjs"), `--extensionTestsPath=${suite}`, `--extensionDevelopmentPath=${stub}`, `--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`, workspace],
      { cwd: repoRoot, stdio: "inherit", env: { ...process.env, HAPS_VSCODE_SUMMARY_FILE: summaryFile, HAPS_VSIX_EXTENSIONS_DIR: extensionsDir } },
    );
    const summary = existsSync(summaryFile) ? readFileSync(summaryFile, "utf8").trim() : null;
    log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (!summary) throw new Error(`the suite reported no result (launcher exit ${run.status ?? run.signal})`);
    console.log(summary);
    ok = run.status === 0 && /, 0 failed$/.test(summary);
    if (!ok) process.exitCode = 1;
  } finally {
    if (ok) for (const dir of [scratch, outside]) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    else log(`kept ${scratch} and ${outside} for inspection`);
  }
}

try {
  await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
