import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { devAnswersWithoutAdapter, devItems, devSkillOf, writeDevBenchmark } from "../../../src/core/benchmark/devBenchmark.ts";
import { loadHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";

test("development items: 12 keywords x phrasings per copy, unique ids, more copies differ in fillers or options", () => {
  const one = devItems();
  assert.equal(one.length, 72);
  const seven = devItems({ copies: 7 });
  assert.equal(seven.length, 504);
  assert.equal(new Set(seven.map((i) => i.id)).size, 504);
  const first = seven.find((i) => i.id === "amber-0-c0")!;
  const other = seven.find((i) => i.id === "amber-0-c1")!;
  assert.notEqual(`${first.question} ${first.choices.join(",")}`, `${other.question} ${other.choices.join(",")}`);
  assert.throws(() => devItems({ phrasings: 13 }), /phrasings must be an integer in 1..12/);
});

test("the candidates know different keywords; the router is a candidate; the configuration loads", async () => {
  assert.deepEqual(Object.keys(devSkillOf("m1")).sort(), ["amber", "bison", "cedar", "gecko", "hazel", "indigo"]);
  assert.deepEqual(Object.keys(devSkillOf("m2")).sort(), ["dahlia", "ermine", "fennel", "gecko", "hazel", "indigo"]);
  assert.equal(devAnswersWithoutAdapter({ keyword: "amber" }, { teacher: "m2", student: "m1" }), true);
  assert.equal(devAnswersWithoutAdapter({ keyword: "amber" }, { teacher: "m1", student: "m2" }), false);
  assert.equal(devAnswersWithoutAdapter({ keyword: "jasper" }, { teacher: "m1", student: "m1" }), false);
  const dir = await mkdtemp(path.join(tmpdir(), "haps-dev-"));
  try {
    const written = await writeDevBenchmark(dir);
    const config = await loadHapsConfig(written.configFile);
    assert.equal(path.basename(config.router.model), "m2.gguf");
    assert.deepEqual(config.candidates.map((c) => c.id), ["m1", "m2"]);
    for (const name of ["m1", "m2"]) {
      const shape = await readModelShape(path.join(dir, `${name}.gguf`));
      assert.equal(shape.blockCount, 2, `${name} has 2 blocks`);
      assert.equal(shape.embeddingLength, name === "m1" ? 32 : 64);
    }
    assert.equal((await readFile(written.dataFile, "utf8")).trim().split("\n").length, 72);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
