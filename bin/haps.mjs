#!/usr/bin/env node
// `haps`: dist/haps.mjs (built by `npm run build`) starts the CLI bundle once, with the engine's memory settings.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const launcher = fileURLToPath(new URL("../dist/haps.mjs", import.meta.url));
if (!existsSync(launcher)) {
  console.error("haps: dist/haps.mjs is missing; run `npm run build` first.");
  process.exit(2);
}
await import(launcher);
