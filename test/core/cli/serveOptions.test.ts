// `haps serve --allow-origin`: an origin (scheme, host, port) and nothing else, refused before any model is loaded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runServe } from "../../../src/cli/serve/runServe.ts";

test("--allow-origin takes origins only: a path, another scheme or a bare host is refused, naming the flag", async () => {
  const signal = new AbortController().signal;
  for (const origin of ["http://app.example/path", "ftp://app.example", "app.example", "*"])
    await assert.rejects(runServe(["--allow-origin", origin], { signal }), new RegExp(`--allow-origin: expected an origin such as https://app\\.example .*got "${origin.replace(/[.*/]/g, "\\$&")}"`));
});
