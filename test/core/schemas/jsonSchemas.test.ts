// The JSON Schemas VS Code checks hand-written files against (package.json `jsonValidation`), generated from the zod
// schemas: every example file passes, and the mistakes the zod readers reject (an unknown or misspelled field, a value
// outside an enum, a wrong type) are flagged by the schema too. Checked with Ajv, a JSON Schema validator of its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { jsonSchemas } from "../../../src/core/schemas/jsonSchemas.ts";
import { hapsConfigSchema } from "../../../src/core/config/HapsConfig.ts";
import { evalSpecSchema } from "../../../src/core/evaluation/EvalSpec.ts";
import { trainSpecSchema } from "../../../src/core/training/TrainSpec.ts";

const schemas = Object.fromEntries(jsonSchemas().map((s) => [s.file, s.schema]));
const ajv = new Ajv({ strict: false, allErrors: true });
const validator = (file: string) => ajv.compile(schemas[file]);
const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));

const CASES = [
  { file: "haps-config.schema.json", zod: hapsConfigSchema, examples: ["examples/shared-models.config.json"] },
  { file: "haps-train.schema.json", zod: trainSpecSchema, examples: ["examples/train-hotpotqa.json", "examples/train-mmlu.json"] },
  { file: "haps-eval.schema.json", zod: evalSpecSchema, examples: ["examples/eval-smoke.json", "examples/eval-keyword.json"] },
];

test("package.json's jsonValidation points at exactly the generated schemas", () => {
  const manifest = json("package.json");
  const urls = manifest.contributes.jsonValidation.map((v: { url: string }) => v.url).sort();
  assert.deepEqual(urls, Object.keys(schemas).map((f) => `./dist/schemas/${f}`).sort());
  for (const v of manifest.contributes.jsonValidation) assert.ok(v.fileMatch.length > 0);
});

for (const c of CASES) {
  test(`${c.file}: the examples pass, as they pass the zod reader`, () => {
    const validate = validator(c.file);
    for (const example of c.examples) {
      const value = json(example);
      assert.ok(c.zod.safeParse(value).success, `${example} passes zod`);
      assert.ok(validate(value), `${example}: ${ajv.errorsText(validate.errors)}`);
    }
  });

  test(`${c.file}: a misspelled field is flagged, as zod rejects it`, () => {
    const validate = validator(c.file);
    const value = { ...json(c.examples[0]), seedz: [1] };
    assert.equal(c.zod.safeParse(value).success, false);
    assert.equal(validate(value), false);
    assert.ok(validate.errors!.some((e) => e.keyword === "additionalProperties" && e.params.additionalProperty === "seedz"), ajv.errorsText(validate.errors));
  });
}

test("haps-config.schema.json: an enum value and a type the reader rejects are flagged where they are", () => {
  const validate = validator("haps-config.schema.json");
  const base = json("examples/shared-models.config.json");
  const badPooling = { ...base, router: { ...base.router, pooling: "max" } };
  assert.equal(hapsConfigSchema.safeParse(badPooling).success, false);
  assert.equal(validate(badPooling), false);
  assert.ok(validate.errors!.some((e) => e.instancePath === "/router/pooling" && e.keyword === "enum"), ajv.errorsText(validate.errors));
  const badRank = { ...base, generator: { ...base.generator, rank: "eight" } };
  assert.equal(validate(badRank), false);
  assert.ok(validate.errors!.some((e) => e.instancePath === "/generator/rank"), ajv.errorsText(validate.errors));
});

test("haps-eval.schema.json: an unknown method is flagged", () => {
  const validate = validator("haps-eval.schema.json");
  const value = { ...json("examples/eval-smoke.json"), methods: ["random", "magic"] };
  assert.equal(evalSpecSchema.safeParse(value).success, false);
  assert.equal(validate(value), false);
});
