// `haps models list|rm` on a cache with two models (files written as downloads leave them: a folder per URI with a
// source note), run in-process with stdout captured.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { uriCacheDir } from "../../../src/core/download/downloadModel.ts";
import { writeSourceNote } from "../../../src/core/download/modelCache.ts";
import { runModels } from "../../../src/cli/models/runModels.ts";
import { tempDir } from "../runtime/helpers.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await runModels(args, { signal: new AbortController().signal });
    return { code, out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test("haps models list shows each model's id, size and URI; rm deletes by URI or id and names what is not there", async () => {
  const dir = tempDir("models-cli");
  const uris = ["https://example.org/a/big.gguf", "hf:someone/small-GGUF/small.gguf"];
  for (const [i, uri] of uris.entries()) {
    const folder = uriCacheDir(uri, dir);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `m${i}.gguf`), Buffer.alloc(i === 0 ? 3_000_000 : 1_000));
    await writeSourceNote(folder, uri);
  }
  const listed = await run(["list", "--dir", dir]);
  assert.equal(listed.code, 0);
  const lines = listed.out.trim().split("\n");
  assert.match(lines[0], /: 2 models, 3\.0 MB$/);
  assert.match(lines[1], new RegExp(`^${path.basename(uriCacheDir(uris[0], dir))}\\s+3\\.0 MB\\s+https://example\\.org/a/big\\.gguf$`));
  assert.match(lines[2], /1\.0 KB\s+hf:someone\/small-GGUF\/small\.gguf$/);
  const json = JSON.parse((await run(["list", "--dir", dir, "--json"])).out);
  assert.deepEqual(json.models.map((m: { uri: string }) => m.uri), uris);

  const removed = await run(["rm", uris[0], path.basename(uriCacheDir(uris[1], dir)), "nothing-here", "--dir", dir]);
  assert.equal(removed.code, 1, "one name matched nothing");
  assert.match(removed.out, /deleted https:\/\/example\.org\/a\/big\.gguf \(3\.0 MB\)\ndeleted hf:someone\/small-GGUF\/small\.gguf \(1\.0 KB\)/);
  assert.match(removed.err, /no model "nothing-here"/);
  for (const uri of uris) assert.ok(!existsSync(uriCacheDir(uri, dir)));
  assert.match((await run(["list", "--dir", dir])).out, /: 0 models, 0 B/);
  await assert.rejects(run(["purge"]), /expected "list" or "rm", got "purge"/);
});
