// JSON a person wrote: the first syntax error names file:line:column and what was expected there (jsonc-parser's
// scanner), strict JSON otherwise (no comments, no trailing commas), a byte-order mark tolerated.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError } from "../../../src/core/config/HapsConfig.ts";
import { parseJsonText } from "../../../src/core/config/readJsonFile.ts";

const failure = (text: string) => {
  try {
    parseJsonText(text, "spec.json");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return (error as Error).message;
  }
  assert.fail(`parsed ${JSON.stringify(text)}`);
};

test("syntax errors say where and what was expected", () => {
  assert.equal(failure('{\n  "router": {"model": "a.gguf"},\n  "agents": \n}'), "spec.json:4:1: invalid JSON: value expected");
  assert.equal(failure('{"a": 1 "b": 2}'), "spec.json:1:9: invalid JSON: comma expected");
  assert.equal(failure('{"a": 1, // why\n"b": 2}'), "spec.json:1:10: invalid JSON: invalid comment token");
  assert.equal(failure('{"a": [1, 2,]}'), "spec.json:1:13: invalid JSON: value expected");
  assert.equal(failure(""), "spec.json:1:1: invalid JSON: value expected");
  assert.match(failure('{"a": 1} trailing'), /^spec\.json:1:10: invalid JSON: /);
  assert.match(failure('{"a": "x\ny", "b": }'), /^spec\.json:1:7: invalid JSON: unexpected end of string \(and \d+ more errors? after it\)$/);
});

test("valid JSON parses as JSON.parse does, with or without a byte-order mark", () => {
  const text = '{"a": [1, 2.5e3, "x\\u00e9"], "b": {"c": null, "d": true}}';
  assert.deepEqual(parseJsonText(text, "x.json"), JSON.parse(text));
  assert.deepEqual(parseJsonText(`\ufeff${text}`, "x.json"), JSON.parse(text));
});
