// `haps route`: its name and help; runRoute.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

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
  // Loaded when the command runs, not when haps starts (see main.ts).
  run: async (args, context) => (await import("./runRoute.ts")).runRoute(args, context),
};
