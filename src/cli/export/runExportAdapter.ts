// What `haps export-adapter` runs: the routing prompt and backbone feature of a question, then each open
// candidate's generated adapter written to files.
import path from "node:path";
import { exportAdapter, type ExportedAdapter } from "../../core/adapters/exportAdapter.ts";
import { openPipeline } from "../../core/episode/openPipeline.ts";
import type { EpisodeRequest } from "../../core/episode/types.ts";
import { announceDefaultModels } from "../announceDefaultModels.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";

export async function runExportAdapter(args: string[], { signal }: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, {
    question: { type: "string" },
    choices: { type: "string" },
    out: { type: "string" },
    config: { type: "string" },
    checkpoint: { type: "string" },
    candidate: { type: "string" },
    "base-model": { type: "string" },
    json: { type: "boolean" },
  });
  if (typeof values.question !== "string" || values.question.trim() === "") throw new Error("--question TEXT is required");
  if (typeof values.out !== "string") throw new Error("--out DIR is required");
  const request: EpisodeRequest = { question: values.question };
  if (typeof values.choices === "string") {
    request.choices = values.choices.split("|").map((c) => c.trim());
    if (request.choices.length < 2 || request.choices.some((c) => c === "")) throw new Error(`--choices: expected at least two non-empty options separated by "|", got "${values.choices}"`);
  }
  const configPath = typeof values.config === "string" ? values.config : undefined;
  if (configPath == null) await announceDefaultModels();
  const checkpoint = typeof values.checkpoint === "string" ? path.resolve(values.checkpoint) : undefined;
  const { runtime, pipeline } = await openPipeline({
    ...runtimeOptionsFrom(values),
    configPath,
    override: checkpoint == null ? undefined : (c) => ({ ...c, router: { ...c.router, checkpoint } }),
  });
  try {
    const open = pipeline.config.candidates.filter((c) => c.open && (values.candidate == null || c.id === values.candidate));
    if (open.length === 0)
      throw new Error(values.candidate == null ? "no candidate is open: closed models get no adapter" : `--candidate: "${values.candidate}" is not an open candidate (open: ${pipeline.config.candidates.filter((c) => c.open).map((c) => c.id).join(", ") || "none"})`);
    signal.throwIfAborted();
    const prepared = await pipeline.prepare(request);
    const written: (ExportedAdapter & { candidate: string; baseModel: string })[] = [];
    for (const c of open) {
      const adapter = pipeline.policy.generate(c.id, prepared.feature)!;
      const baseModel = values["base-model"] ?? (c.kind === "openai" ? c.model : path.basename(c.model).replace(/\.gguf$/i, ""));
      const exported = await exportAdapter(path.resolve(values.out, c.id), adapter, { baseModel, scale: pipeline.config.generator.scale });
      written.push({ candidate: c.id, baseModel, ...exported });
    }
    const summary = { question: request.question, policy: pipeline.checkpointLoaded ? "checkpoint" : "untrained", adapters: written };
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(`Adapters for "${request.question}" from the ${summary.policy} policy:\n`);
      for (const w of written) process.stdout.write(`  ${w.candidate}: rank ${w.rank}, alpha ${w.alpha}, o_proj of layers ${w.layers.join(", ")} -> ${w.dir}\n`);
    }
    return 0;
  } finally {
    await runtime.dispose();
  }
}
