// `npm run package -- --target linux-x64`: one VSIX per platform, each with only that platform's llama.cpp binaries.
//
// node-llama-cpp ships its prebuilt llama.cpp as optional packages per platform and GPU backend (@node-llama-cpp/*,
// ~730 MB for all of them). A VSIX for one platform needs only its own: this script stages, per target, the extension
// (dist/extension.cjs, dist/engine.mjs and its chunks, dist/webview, media, README, LICENSE, CHANGELOG) with
// node-llama-cpp's runtime dependency tree and the target's binary packages, and packs it with @vscode/vsce
// (`vsce package --target`). Binary packages that npm did not install on this machine (another OS's) are fetched with
// `npm pack` from the npm registry into .cache/package/.
//
// CUDA: its binaries are ~540 MB unpacked (linux-x64 with every backend packed to 344 MiB), so the default VSIX of a
// target carries the CPU and Vulkan builds only and must stay under DEFAULT_VSIX_LIMIT (checked here). `--backends
// cuda,vulkan` makes the CUDA variant, a separate file named `<name>-<target>-cuda-<version>.vsix` with the same
// extension id: installed from the file (Extensions: Install from VSIX...), it replaces the default one.
//
// Options:
//   --target T[,T...]   vsce targets (repeatable): linux-x64, linux-arm64, linux-armhf, darwin-arm64, darwin-x64,
//                       win32-x64, win32-arm64, or `all`. Defaults to this machine's.
//   --backends B[,B]    GPU backends to include besides the CPU build: cuda, vulkan (or none). Defaults to vulkan
//                       (where the target has it). The CPU build is always included.
//   --out DIR           where the VSIX files go. Defaults to dist/vsix.
//   --skip-build        use the bundles already in dist/ (the default runs scripts/build.mjs first).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = (await import("node:module")).createRequire(import.meta.url);

/** vsce target -> node-llama-cpp's binary packages for it, each with the backend it provides. */
export const TARGETS = {
  "linux-x64": { "linux-x64": "cpu", "linux-x64-vulkan": "vulkan", "linux-x64-cuda": "cuda", "linux-x64-cuda-ext": "cuda" },
  "linux-arm64": { "linux-arm64": "cpu" },
  "linux-armhf": { "linux-armv7l": "cpu" },
  "darwin-arm64": { "mac-arm64-metal": "cpu" },
  "darwin-x64": { "mac-x64": "cpu" },
  "win32-x64": { "win-x64": "cpu", "win-x64-vulkan": "vulkan", "win-x64-cuda": "cuda", "win-x64-cuda-ext": "cuda" },
  "win32-arm64": { "win-arm64": "cpu" },
};
const BACKENDS = ["cpu", "cuda", "vulkan"];
const DEFAULT_BACKENDS = ["cpu", "vulkan"];
/** The largest default (CUDA-less) VSIX this script lets through: the issue's bound for a download from the Marketplace. */
export const DEFAULT_VSIX_LIMIT = 200 * 1024 * 1024;

/** Files of the staged node_modules that a running extension never reads. */
const VSCODEIGNORE = [
  "**/*.map",
  "**/*.d.ts",
  // llama.cpp's source as a git bundle: only for building from source (native/README.md), which a VSIX cannot do.
  "node_modules/node-llama-cpp/llama/gitRelease.bundle",
  "node_modules/node-llama-cpp/templates/**",
];

function machineTarget() {
  const os = { linux: "linux", darwin: "darwin", win32: "win32" }[process.platform];
  const arch = { x64: "x64", arm64: "arm64", arm: "armhf" }[process.arch];
  return `${os}-${arch}`;
}

function log(line) {
  process.stderr.write(`[package] ${line}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
}

/**
 * The folders of `name` and everything it needs at run time, found as Node resolves them (a nested node_modules
 * first, then the ones above), relative to the repository. Optional dependencies are followed only when installed,
 * and @node-llama-cpp/* binary packages never (the target's own are added separately).
 */
function runtimeClosure(name) {
  const found = new Map();
  const visit = (pkg, fromDir) => {
    let dir = fromDir;
    for (;;) {
      const candidate = path.join(dir, "node_modules", pkg);
      if (existsSync(path.join(candidate, "package.json"))) {
        if (found.has(candidate)) return;
        found.set(candidate, pkg);
        const manifest = JSON.parse(readFileSync(path.join(candidate, "package.json"), "utf8"));
        for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, candidate);
        for (const dep of Object.keys(manifest.optionalDependencies ?? {})) {
          if (dep.startsWith("@node-llama-cpp/")) continue;
          if (resolveFrom(dep, candidate) != null) visit(dep, candidate);
        }
        return;
      }
      if (dir === repoRoot || path.dirname(dir) === dir) throw new Error(`cannot find ${pkg} (needed from ${fromDir})`);
      dir = path.dirname(dir);
    }
  };
  visit(name, repoRoot);
  return [...found.keys()].map((dir) => path.relative(repoRoot, dir));
}

function resolveFrom(pkg, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "node_modules", pkg, "package.json"))) return path.join(dir, "node_modules", pkg);
    if (dir === repoRoot || path.dirname(dir) === dir) return null;
  }
}

/** A binary package's folder: installed here, or fetched from the npm registry once into .cache/package/npm. */
function binaryPackage(name, version) {
  const installed = path.join(repoRoot, "node_modules", "@node-llama-cpp", name);
  if (existsSync(path.join(installed, "package.json"))) return installed;
  const cache = path.join(repoRoot, ".cache", "package", "npm", `${name}-${version}`);
  if (!existsSync(path.join(cache, "package", "package.json"))) {
    log(`@node-llama-cpp/${name} is not installed on this machine: npm pack @node-llama-cpp/${name}@${version}`);
    mkdirSync(cache, { recursive: true });
    run("npm", ["pack", `@node-llama-cpp/${name}@${version}`, "--pack-destination", cache, "--silent"]);
    const tarball = readdirSync(cache).find((f) => f.endsWith(".tgz"));
    run("tar", ["-xzf", path.join(cache, tarball), "-C", cache]);
  }
  return path.join(cache, "package");
}

function dirSize(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(full) : entry.isFile() ? statSync(full).size : 0;
  }
  return total;
}

export function formatMB(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Stages and packs one target; returns the VSIX's path, size and the binary packages it carries. */
export function packageTarget(target, { backends = DEFAULT_BACKENDS, outDir }) {
  const packages = Object.entries(TARGETS[target]).filter(([, backend]) => backend === "cpu" || backends.includes(backend));
  const cuda = packages.some(([, backend]) => backend === "cuda");
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  const llamaVersion = manifest.dependencies["node-llama-cpp"];
  const stage = path.join(repoRoot, ".cache", "package", "stage", target);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  // The extension: its bundles (everything but node-llama-cpp is bundled by esbuild), webviews, media, README.
  for (const file of ["dist/extension.cjs", "dist/engine.mjs", "README.md", "LICENSE", "CHANGELOG.md"]) cpSync(path.join(repoRoot, file), path.join(stage, file));
  // The engine's lazily loaded chunks (vega and vega-lite for the charts among them) and the JSON schemas.
  for (const dir of ["dist/webview", "dist/chunks", "dist/schemas"]) cpSync(path.join(repoRoot, dir), path.join(stage, dir), { recursive: true });
  cpSync(path.join(repoRoot, "media"), path.join(stage, "media"), { recursive: true });
  // The native layer's addon for this target, when this machine built one (native/README.md); without it the engine
  // uses its TypeScript path.
  const [nodePlatform, vsceArch] = target.split("-");
  const addon = path.join("dist", "native", `haps-native-${nodePlatform}-${vsceArch === "armhf" ? "arm" : vsceArch}.node`);
  if (existsSync(path.join(repoRoot, addon))) cpSync(path.join(repoRoot, addon), path.join(stage, addon));
  else log(`${target}: no ${addon} (built only on that platform): the engine will use its TypeScript path there`);
  // The manifest as published: node-llama-cpp its only dependency, no scripts (vsce would run vscode:prepublish).
  const { scripts: _scripts, devDependencies: _dev, bin: _bin, ...published } = manifest;
  published.dependencies = { "node-llama-cpp": llamaVersion };
  writeFileSync(path.join(stage, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
  writeFileSync(path.join(stage, ".vscodeignore"), `${VSCODEIGNORE.join("\n")}\n`);

  // node-llama-cpp's run-time tree, then this target's binaries (and no other platform's).
  for (const rel of runtimeClosure("node-llama-cpp")) cpSync(path.join(repoRoot, rel), path.join(stage, rel), { recursive: true });
  for (const [name] of packages) cpSync(binaryPackage(name, llamaVersion), path.join(stage, "node_modules", "@node-llama-cpp", name), { recursive: true });

  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, vsixName(manifest, target, cuda));
  rmSync(out, { force: true });
  const vsce = path.join(path.dirname(require.resolve("@vscode/vsce/package.json")), "vsce");
  // vsce rewrites README's relative links (the screenshots) to the `repository` on GitHub, as the Marketplace needs.
  run(process.execPath, [vsce, "package", "--target", target, "--out", out, "--no-yarn"], { cwd: stage });
  const bytes = statSync(out).size;
  if (!cuda && bytes > DEFAULT_VSIX_LIMIT) throw new Error(`${path.basename(out)} is ${formatMB(bytes)}, over the ${DEFAULT_VSIX_LIMIT / 2 ** 20} MiB a default VSIX may have (CUDA belongs in the -cuda variant)`);
  return { target, file: out, bytes, staged: dirSize(stage), packages: packages.map(([name, backend]) => `${name} (${backend})`) };
}

/** `haps-router-linux-x64-0.1.0.vsix`, and `haps-router-linux-x64-cuda-0.1.0.vsix` for the CUDA variant. */
export function vsixName(manifest, target, cuda = false) {
  return `${manifest.name}-${target}${cuda ? "-cuda" : ""}-${manifest.version}.vsix`;
}

async function main() {
  const { values } = parseArgs({
    options: { target: { type: "string", multiple: true }, backends: { type: "string" }, out: { type: "string" }, "skip-build": { type: "boolean" } },
    strict: true,
  });
  const wanted = (values.target ?? [machineTarget()]).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);
  const targets = wanted.includes("all") ? Object.keys(TARGETS) : wanted;
  for (const t of targets) if (!(t in TARGETS)) throw new Error(`--target: "${t}" is not one of ${Object.keys(TARGETS).join(", ")} (or all)`);
  const backends = values.backends == null ? DEFAULT_BACKENDS : values.backends === "none" ? ["cpu"] : ["cpu", ...values.backends.split(",").map((b) => b.trim())];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`--backends: "${b}" is not one of cuda, vulkan (or none)`);
  if (!values["skip-build"]) {
    // esbuild's report is noise here; it is shown when the build fails.
    const build = spawnSync(process.execPath, [path.join(repoRoot, "scripts", "build.mjs")], { cwd: repoRoot, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`the build failed:\n${build.stdout}${build.stderr}`);
  }
  for (const f of ["dist/extension.cjs", "dist/engine.mjs", "dist/webview", "dist/chunks", "dist/schemas"]) if (!existsSync(path.join(repoRoot, f))) throw new Error(`${f} is missing: run npm run build (or drop --skip-build)`);
  const outDir = path.resolve(values.out ?? path.join(repoRoot, "dist", "vsix"));
  const results = [];
  for (const target of targets) {
    log(`${target}: staging and packing`);
    results.push(packageTarget(target, { backends, outDir }));
  }
  for (const r of results) process.stdout.write(`${path.relative(process.cwd(), r.file)}  ${formatMB(r.bytes)} (unpacked ${formatMB(r.staged)}; ${r.packages.join(", ")})\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    log(`failed: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  }
}
