// `haps route`: one query through the routed Teacher-Student system, printed as it happens or as one JSON object.
import { loadContextFile } from "../core/data/custom/loadContextFile.ts";
import { openPipeline } from "../core/episode/openPipeline.ts";
import type { EpisodeRequest } from "../core/episode/types.ts";
import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";
import { printReport, streamEvents } from "./printEpisode.ts";

export async function runRoute(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, {
    question: { type: "string" },
    context: { type: "string" },
    choices: { type: "string" },
    gold: { type: "string" },
    config: { type: "string" },
    alpha: { type: "string" },
    json: { type: "boolean" },
  });
  if (typeof values.question !== "string" || values.question.trim() === "") throw new Error("route: --question TEXT is required");
  if (values.context != null && values.choices != null) throw new Error("route: give --context or --choices, not both");
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
  const { runtime, pipeline, usesEmbeddedModels } = await openPipeline({
    ...runtimeOptionsFrom(values),
    configPath: typeof values.config === "string" ? values.config : undefined,
    onLog: (level, message) => !json && level === "info" && console.error(message),
  });
  try {
    if (usesEmbeddedModels && !json)
      console.log("Using the embedded default models (tiny, random weights): expect gibberish text; the routing, adapters and protocol are real.");
    const report = await pipeline.run(request, { onEvent: json ? undefined : streamEvents(process.stdout) });
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else printReport(report, process.stdout);
    return 0;
  } finally {
    await runtime.dispose();
  }
}
