// What `haps route` runs: one query through the routed Teacher-Student system, printed as it happens or as one JSON object.
import { checkEpisodeRequest } from "../../core/engine/checkEpisodeRequest.ts";
import { loadContextFile } from "../../core/data/custom/loadContextFile.ts";
import { openPipeline } from "../../core/episode/openPipeline.ts";
import type { EpisodeRequest } from "../../core/episode/types.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { announceDefaultModels } from "../announceDefaultModels.ts";
import { printReport, streamEvents } from "../printEpisode.ts";


export async function runRoute(args: string[], { signal }: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, {
    question: { type: "string" },
    context: { type: "string" },
    choices: { type: "string" },
    gold: { type: "string" },
    config: { type: "string" },
    alpha: { type: "string" },
    json: { type: "boolean" },
  });
  if (typeof values.question !== "string" || values.question.trim() === "") throw new Error("--question TEXT is required");
  if (values.context != null && values.choices != null) throw new Error("give --context or --choices, not both");
  const request: EpisodeRequest = { question: values.question };
  if (typeof values.context === "string") request.context = await loadContextFile(values.context);
  if (typeof values.choices === "string") {
    request.choices = values.choices.split("|").map((c) => c.trim());
    if (request.choices.length < 2 || request.choices.some((c) => c === ""))
      throw new Error(`--choices: expected at least two non-empty options separated by "|", got "${values.choices}"`);
  }
  if (typeof values.gold === "string") request.gold = values.gold;
  if (typeof values.alpha === "string") {
    const alpha = Number(values.alpha);
    if (!Number.isFinite(alpha) || alpha < 0) throw new Error(`--alpha: expected a number >= 0, got "${values.alpha}"`);
    request.alpha = alpha;
  }
  const json = values.json === true;
  const configPath = typeof values.config === "string" ? values.config : undefined;
  if (configPath == null) await announceDefaultModels();
  const { runtime, pipeline, usesEmbeddedModels } = await openPipeline({
    ...runtimeOptionsFrom(values),
    configPath,
    onLog: (level, message) => !json && (level === "info" || level === "warn") && console.error(message),
  });
  try {
    signal.throwIfAborted();
    await checkEpisodeRequest(runtime, pipeline.config, request, { question: "--question", choices: "--choices" });
    if (usesEmbeddedModels && !json)
      console.log("Using the embedded default models (tiny, random weights): expect gibberish text; the routing, adapters and protocol are real.");
    const report = await pipeline.run(request, { signal, onEvent: json ? undefined : streamEvents(process.stdout) });
    if (signal.aborted) return 1;
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else printReport(report, process.stdout);
    return 0;
  } finally {
    await runtime.dispose();
  }
}
