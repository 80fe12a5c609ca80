// `haps demo`: its name and help; runDemo.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const demoCommand: CliCommand = {
  name: "demo",
  summary: "one routed episode on the embedded models (a HotpotQA item from ../shared/data when present)",
  usage: `haps demo [--data FILE]

  --data FILE   a HotpotQA file (jsonl or JSON array) whose first good record is the demo's question
                (default: ../shared/data/hotpotqa/haps_test.jsonl, else a built-in two-hop question)`,
  // Loaded when the command runs, not when haps starts (see main.ts).
  run: async (args, context) => (await import("./runDemo.ts")).runDemo(args, context),
};
