// Builds native/src/hapsNative.cc into dist/native/haps-native-<platform>-<arch>.node with the system's C++ compiler.
//
// Everything it compiles against is already on disk: the Node-API headers (node-api-headers, node-addon-api; pinned
// devDependencies), node-llama-cpp's addon headers (llama/addon/*.h, the layouts of the objects the addon unwraps) and
// the llama.cpp headers, read from the git bundle of the exact llama.cpp source node-llama-cpp ships
// (llama/gitRelease.bundle) into .cache/native/. Nothing is downloaded, and nothing is linked against llama.cpp: the
// addon finds the copy node-llama-cpp loaded at run time (native/README.md).
//
// Not built (and the engine uses its TypeScript path, saying so in its log) when this is not Linux, or there is no
// C++ compiler or no git: a missing tool never fails `npm run build`. A failed compile does fail it (the code is
// ours). Rebuilt only when a source or header is newer than the binary. `--force` rebuilds.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const log = (line) => process.stderr.write(`[native] ${line}\n`);

/** Where the binary for this platform goes (and where the engine looks for it: src/core/native/nativeLayer.ts). */
export function nativeBinaryName(platform = process.platform, arch = process.arch) {
  return `haps-native-${platform}-${arch}.node`;
}

function have(command, args = ["--version"]) {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return r.status === 0;
}

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout ?? ""}${r.stderr ?? ""}`);
  return r.stdout;
}

/** llama.cpp's headers for node-llama-cpp's release, from its git bundle, cached per release. */
function llamaHeaders(llamaDir) {
  const info = JSON.parse(readFileSync(path.join(llamaDir, "llama.cpp.info.json"), "utf8"));
  const bundle = path.join(llamaDir, "gitRelease.bundle");
  const dir = path.join(repoRoot, ".cache", "native", `llama.cpp-${info.tag}-${statSync(bundle).size}`);
  if (existsSync(path.join(dir, "src", "llama-adapter.h"))) return dir;
  const git = path.join(repoRoot, ".cache", "native", "bundle.git");
  rmSync(git, { recursive: true, force: true });
  rmSync(`${dir}.tmp`, { recursive: true, force: true });
  mkdirSync(`${dir}.tmp`, { recursive: true });
  run("git", ["init", "-q", "--bare", git]);
  run("git", ["--git-dir", git, "fetch", "-q", bundle, "HEAD"]);
  const tar = spawnSync("git", ["--git-dir", git, "archive", "--format=tar", "FETCH_HEAD", "include", "ggml/include", "src/llama-adapter.h"], { maxBuffer: 256 << 20 });
  if (tar.status !== 0) throw new Error(`git archive failed: ${tar.stderr}`);
  run("tar", ["-x", "-C", `${dir}.tmp`], { input: tar.stdout });
  rmSync(git, { recursive: true, force: true });
  renameSync(`${dir}.tmp`, dir);
  return dir;
}

export function buildNative({ force = false } = {}) {
  const out = path.join(repoRoot, "dist", "native", nativeBinaryName());
  if (process.platform !== "linux") {
    log(`not built on ${process.platform}: the addon is Linux-only for now; the engine uses its TypeScript path`);
    return null;
  }
  const cxx = process.env.CXX || "c++";
  if (!have(cxx)) {
    log(`no C++ compiler ("${cxx}"): not built; the engine uses its TypeScript path`);
    return null;
  }
  if (!have("git")) {
    log("no git (needed to read llama.cpp's headers from node-llama-cpp's source bundle): not built; the engine uses its TypeScript path");
    return null;
  }
  const nlc = path.join(repoRoot, "node_modules", "node-llama-cpp");
  const nlcVersion = JSON.parse(readFileSync(path.join(nlc, "package.json"), "utf8")).version;
  const source = path.join(repoRoot, "native", "src", "hapsNative.cc");
  const addonApi = path.join(repoRoot, "node_modules", "node-addon-api");
  const apiHeaders = path.join(repoRoot, "node_modules", "node-api-headers", "include");
  const inputs = [source, path.join(nlc, "package.json"), path.join(addonApi, "napi.h"), fileURLToPath(import.meta.url)];
  if (!force && existsSync(out) && inputs.every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs)) return out;
  const headers = llamaHeaders(path.join(nlc, "llama"));
  mkdirSync(path.dirname(out), { recursive: true });
  const started = Date.now();
  run(cxx, [
    "-std=c++17", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-Wall", "-Wno-unused-parameter",
    // As node-llama-cpp's own addon is built (llama/CMakeLists.txt).
    "-DNAPI_VERSION=7", "-DNAPI_DISABLE_CPP_EXCEPTIONS",
    `-DHAPS_NODE_LLAMA_CPP_VERSION="${nlcVersion}"`,
    "-I", apiHeaders, "-I", addonApi, "-I", path.join(nlc, "llama", "addon"),
    "-I", path.join(headers, "include"), "-I", path.join(headers, "ggml", "include"), "-I", path.join(headers, "src"),
    source, "-o", `${out}.tmp`, "-ldl",
  ]);
  renameSync(`${out}.tmp`, out);
  log(`built ${path.relative(repoRoot, out)} in ${((Date.now() - started) / 1000).toFixed(1)} s (against node-llama-cpp ${nlcVersion}'s headers)`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildNative({ force: process.argv.includes("--force") });
