// Bundles the entry points with esbuild.
// - the extension is CommonJS (VS Code requires it) and never loads node-llama-cpp itself;
// - the engine process and the CLI are ES modules, because node-llama-cpp is ESM only and a CommonJS bundle
//   would turn its `import()` into a `require()` that fails (see shared NOTES);
// - the webviews (webview/<name>/main.ts) are browser scripts, one self-contained file each plus its stylesheet,
//   and the codicon font, in dist/webview/: the only folder their pages may load from besides media/.
// - vega and vega-lite (the evaluation charts, ~1.8 MB) are bundled into chunks of their own (dist/chunks/) that the
//   engine and the CLI import only when the first chart is drawn: an installed VSIX has no node_modules for them, and
//   every engine or CLI start would otherwise parse them (measured before they were split off: dist/cli.mjs 2.3 ->
//   4.3 MB and `haps --help` ~0.1 s slower).
// - the native layer's addon (native/, scripts/buildNative.mjs) when this machine has a C++ compiler; without one the
//   engine uses its TypeScript path.
import * as esbuild from "esbuild";
import { buildNative } from "./buildNative.mjs";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "info",
  external: ["vscode", "node-llama-cpp", "mocha", "playwright-core", "@vscode/test-electron"],
  // jsonc-parser's "main" is a UMD build whose factory requires its own files at run time, which a bundle cannot
  // serve ("Cannot find module './impl/format'"); its ES module build bundles like any other.
  alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
};
const esmBanner = {
  // Some bundled CommonJS dependencies call require(); give ESM bundles one.
  js: "import { createRequire as __hapsCreateRequire } from 'node:module'; const require = __hapsCreateRequire(import.meta.url);",
};

mkdirSync("dist", { recursive: true });
const builds = [
  { ...common, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.cjs", format: "cjs" },
  // The engine and the CLI in one build, so that they share the lazily loaded chunks (dist/chunks/*.mjs).
  {
    ...common,
    entryPoints: { engine: "src/core/engine/engineMain.ts", cli: "src/cli/main.ts" },
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    format: "esm",
    banner: esmBanner,
  },
  // `haps` starts here: a few KB that start dist/cli.mjs once, with the engine's memory settings (src/cli/launcher.ts).
  { ...common, entryPoints: ["src/cli/haps.ts"], outfile: "dist/haps.mjs", format: "esm" },
  { ...common, entryPoints: ["test/vscode/suite/index.ts"], outfile: "dist/test/vscode/suite/index.cjs", format: "cjs" },
  // The Restricted Mode run (an untrusted workspace), in a VS Code started with Workspace Trust on.
  { ...common, entryPoints: ["test/vscode/untrusted/index.ts"], outfile: "dist/test/vscode/untrusted/index.cjs", format: "cjs" },
  { ...common, entryPoints: ["test/vscode/workspace/index.ts"], outfile: "dist/test/vscode/workspace/index.cjs", format: "cjs" },
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

/**
 * dist/schemas/*.schema.json (package.json `jsonValidation`): generated from the zod schemas by running
 * src/core/schemas/jsonSchemas.ts, bundled on its own, once per build.
 */
async function writeJsonSchemas() {
  const bundle = "dist/.schemas.mjs";
  await esbuild.build({ ...common, entryPoints: ["src/core/schemas/jsonSchemas.ts"], outfile: bundle, format: "esm", sourcemap: false, logLevel: "warning", banner: esmBanner });
  try {
    const { jsonSchemas } = await import(`${pathToFileURL(bundle).href}?t=${Date.now()}`);
    mkdirSync("dist/schemas", { recursive: true });
    for (const { file, schema } of jsonSchemas()) writeFileSync(`dist/schemas/${file}`, `${JSON.stringify(schema, null, 2)}\n`);
  } finally {
    rmSync(bundle, { force: true });
  }
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  await writeJsonSchemas();
} else {
  await Promise.all([...builds.map((b) => esbuild.build(b)), writeJsonSchemas()]);
}
buildNative();
