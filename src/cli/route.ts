// `haps route`: one query through the routed Teacher-Student system, printed as it happens or as one JSON object.
import { checkEpisodeRequest } from "../core/engine/checkEpisodeRequest.ts";
import { loadContextFile } from "../core/data/custom/loadContextFile.ts";
import { openPipeline } from "../core/episode/openPipeline.ts";
import type { EpisodeRequest } from "../core/episode/types.ts";
import type { CliCommand, CliContext } from "./CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";
import { announceDefaultModels } from "./announceDefaultModels.ts";
import { printReport, streamEvents } from "./printEpisode.ts";

export const routeCommand: CliCommand = {
  name: "route",
  summary: "one query through the router, the generated adapters and the Teacher-Student protocol",
  usage: `haps route --question TEXT [--context FILE | --choices "A|B|C|D"] [--gold ANSWER] [--config FILE] [--alpha N] [--json]

  --question TEXT   the question; with its choices at most a quarter of the smallest model context, in tokens
                    (a longer one is refused with the counts, never cut)
  --context FILE    paragraphs to search: plain text (paragraphs separated by blank lines, the first line of
                    each its title) or a .json array of paragraphs
  --choices "A|B"   answer options separated by "|" (2 to 4, answered A-D): makes it a multiple-choice question
  --gold ANSWER     the reference answer (the letter for multiple choice): the report is scored
  --config FILE     models and settings (see README); default: the embedded models
  --alpha N         cost preference, reward = performance - alpha x cost (default: the configuration's)
  --json            print one JSON object instead of the streamed dialogue`,
  run: runRoute,
};

async function runRoute(args: string[], { signal }: CliContext): Promise<number> {
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
