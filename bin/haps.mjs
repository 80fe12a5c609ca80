#!/usr/bin/env node
// The CLI is bundled to dist/cli.mjs by `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const cli = fileURLToPath(new URL("../dist/cli.mjs", import.meta.url));
if (!existsSync(cli)) {
  console.error("haps: dist/cli.mjs is missing; run `npm run build` first.");
  process.exit(2);
}
await import(cli);
