// Bundles the entry points with esbuild.
// - the extension is CommonJS (VS Code requires it) and never loads node-llama-cpp itself;
// - the engine process and the CLI are ES modules, because node-llama-cpp is ESM only and a CommonJS bundle
//   would turn its `import()` into a `require()` that fails (see shared NOTES);
// - the webviews (webview/<name>/main.ts) are browser scripts, one self-contained file each plus its stylesheet,
//   and the codicon font, in dist/webview/: the only folder their pages may load from besides media/.
// - the native layer's addon (native/, scripts/buildNative.mjs) when this machine has a C++ compiler; without one the
//   engine uses its TypeScript path.
import * as esbuild from "esbuild";
import { buildNative } from "./buildNative.mjs";
import { mkdirSync } from "node:fs";

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "info",
  // vega and vega-lite: loaded only when an evaluation draws its charts (src/core/evaluation/charts/renderSvg.ts).
  external: ["vscode", "node-llama-cpp", "mocha", "playwright-core", "@vscode/test-electron", "vega", "vega-lite"],
};
const esmBanner = {
  // Some bundled CommonJS dependencies call require(); give ESM bundles one.
  js: "import { createRequire as __hapsCreateRequire } from 'node:module'; const require = __hapsCreateRequire(import.meta.url);",
};

mkdirSync("dist", { recursive: true });
const builds = [
  { ...common, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.cjs", format: "cjs" },
  { ...common, entryPoints: ["src/core/engine/engineMain.ts"], outfile: "dist/engine.mjs", format: "esm", banner: esmBanner },
  { ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.mjs", format: "esm", banner: esmBanner },
  // `haps` starts here: a few KB that start dist/cli.mjs once, with the engine's memory settings (src/cli/launcher.ts).
  { ...common, entryPoints: ["src/cli/haps.ts"], outfile: "dist/haps.mjs", format: "esm" },
  { ...common, entryPoints: ["test/vscode/suite/index.ts"], outfile: "dist/test/vscode/suite/index.cjs", format: "cjs" },
];
const webviews = {
  bundle: true,
  platform: "browser",
  format: "iife",
  // The Chromium of VS Code 1.90 (Electron 29) and later.
  target: "chrome122",
  minify: !watch,
  sourcemap: false,
  logLevel: "info",
  entryPoints: { route: "webview/route/main.ts", chat: "webview/chat/main.ts" },
  outdir: "dist/webview",
  loader: { ".ttf": "file" },
  assetNames: "[name]",
};
builds.push(webviews);

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
buildNative();
