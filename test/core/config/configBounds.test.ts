// Every size in the configuration has a stated bound, and files named in it are checked by field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CONFIG_LIMITS } from "../../../src/core/config/configLimits.ts";
import { ConfigError, loadHapsConfig, parseHapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { tempDir } from "../runtime/helpers.ts";

const minimal = {
  router: { model: "router.gguf" },
  agents: [{ id: "student", role: "acts" }, { id: "teacher", role: "reviews" }],
  candidates: [{ id: "a", model: "a.gguf" }],
};

/** The configuration with `value` at `field` (a dotted path) is refused, naming that field. */
function refused(field: string, value: unknown): void {
  const config = structuredClone(minimal) as Record<string, unknown>;
  const keys = field.split(".");
  let at = config;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  assert.throws(() => parseHapsConfig(config, "c.json", "/"), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, new RegExp(`^c\\.json: invalid configuration\\n {2}${field.replace(/\./g, "\\.")}: `), error.message);
    return true;
  }, `${field}: ${JSON.stringify(value).slice(0, 40)}`);
}

test("each size is refused just past its limit and accepted at it", () => {
  const sizes: [string, number][] = [
    ["generator.rank", CONFIG_LIMITS.rank],
    ["generator.lastLayers", CONFIG_LIMITS.lastLayers],
    ["generator.hidden", CONFIG_LIMITS.hidden],
    ["protocol.searchBudget", CONFIG_LIMITS.searchBudget],
    ["protocol.maxRounds", CONFIG_LIMITS.maxRounds],
    ["protocol.formatRetries", CONFIG_LIMITS.formatRetries],
    ["maxTokens", CONFIG_LIMITS.maxTokens],
    ["alpha", CONFIG_LIMITS.alpha],
  ];
  for (const [field, limit] of sizes) {
    refused(field, limit + 1);
    const ok = structuredClone(minimal) as Record<string, unknown>;
    const [head, tail] = field.split(".");
    if (tail == null) ok[head] = limit;
    else ok[head] = { [tail]: limit };
    parseHapsConfig(ok, "c.json", "/");
  }
  refused("generator.rank", 100_000);
  refused("generator.rank", 0);
  refused("generator.scale", CONFIG_LIMITS.scale + 1);
  refused("maxTokens", CONFIG_LIMITS.minMaxTokens - 1);
  refused("agents", Array.from({ length: CONFIG_LIMITS.agents + 1 }, (_, i) => ({ id: `a${i}`, role: "r" })));
  refused("candidates", Array.from({ length: CONFIG_LIMITS.candidates + 1 }, (_, i) => ({ id: `c${i}`, model: "m.gguf" })));
  refused("tasks.search-qa", "x".repeat(CONFIG_LIMITS.descriptionChars + 1));
});

test("a missing or unreadable configuration file, and missing model files, are named", async () => {
  const dir = tempDir("config-files");
  await assert.rejects(loadHapsConfig(path.join(dir, "absent.json")), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /^configuration file ".*absent\.json": not found$/);
    return true;
  });
  await assert.rejects(loadHapsConfig(dir), /configuration file ".*": is a directory, not a file/);
  writeFileSync(path.join(dir, "router.gguf"), "x");
  mkdirSync(path.join(dir, "ckpt"));
  const file = path.join(dir, "c.json");
  writeFileSync(file, JSON.stringify({ ...minimal, router: { model: "router.gguf", checkpoint: "ckpt" }, embeddingModel: "embed.gguf", candidates: [{ id: "a", model: "a.gguf" }, { id: "b", model: "." }] }));
  await assert.rejects(loadHapsConfig(file), (error: Error) => {
    assert.equal(
      error.message,
      `${file}: files it names are missing\n` +
        `  candidates[0].model: candidate "a": model file "${path.join(dir, "a.gguf")}": not found\n` +
        `  candidates[1].model: candidate "b": model file "${dir}": is a directory, not a file\n` +
        `  embeddingModel: embedding model file "${path.join(dir, "embed.gguf")}": not found`,
    );
    return true;
  });
});
