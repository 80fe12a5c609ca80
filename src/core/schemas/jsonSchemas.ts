// JSON Schemas of the files a user writes by hand - routing configurations, training specs, evaluation specs -
// generated from the zod schemas that read them (one definition), for VS Code's `jsonValidation` (completion, hover on
// enums, checks while typing). scripts/build.mjs writes them to dist/schemas/ at build time.
//
// The schemas describe the input a user writes (`io: "input"`: fields with defaults are optional). Draft-07, the
// draft VS Code's JSON language service supports best. A check zod makes in code (a refinement such as "train + valid
// + test fit the data") has no JSON Schema form and is left to the reader's own error message.
import { z } from "zod";
import { hapsConfigSchema } from "../config/HapsConfig.ts";
import { evalSpecSchema } from "../evaluation/EvalSpec.ts";
import { trainSpecSchema } from "../training/TrainSpec.ts";

export interface JsonSchemaFile {
  /** File name under dist/schemas/. */
  file: string;
  title: string;
  schema: Record<string, unknown>;
}

function toJson(schema: z.ZodType, title: string, description: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    io: "input",
    target: "draft-7",
    unrepresentable: "any",
    override: ({ jsonSchema }) => {
      // A candidate's `kind` may be left out for "local": HapsConfig.ts fills it in before the union (a z.preprocess,
      // which has no JSON Schema form), so the local branch does not require it.
      const kind = (jsonSchema.properties as Record<string, { const?: unknown }> | undefined)?.kind;
      if (kind?.const === "local" && Array.isArray(jsonSchema.required)) jsonSchema.required = jsonSchema.required.filter((k) => k !== "kind");
    },
  });
  return { ...json, title, description };
}

export function jsonSchemas(): JsonSchemaFile[] {
  return [
    {
      file: "haps-config.schema.json",
      title: "HAPS routing configuration",
      schema: toJson(hapsConfigSchema, "HAPS routing configuration", "Router, agents, candidates, generator and protocol (haps route --config, the haps.configFile setting)."),
    },
    {
      file: "haps-train.schema.json",
      title: "HAPS training spec",
      schema: toJson(trainSpecSchema, "HAPS training spec", "What haps train --spec and HAPS: Train Router read: configuration, data, SFT and RL settings."),
    },
    {
      file: "haps-eval.schema.json",
      title: "HAPS evaluation spec",
      schema: toJson(evalSpecSchema, "HAPS evaluation spec", "What haps eval --spec and an evaluation notebook cell read: data or benchmark, seeds, methods, ablations."),
    },
  ];
}
