// `npm run demo`: the main job on the embedded models - runtime info, a per-query adapter's effect, and one full
// routed episode on a HotpotQA item (from ../shared/data when present).
import { existsSync } from "node:fs";
import path from "node:path";
import { loadHotpotQa } from "../core/data/index.ts";
import type { Paragraph } from "../core/data/TaskItem.ts";
import { openPipeline } from "../core/episode/openPipeline.ts";
import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";
import { printReport, streamEvents } from "./printEpisode.ts";

// Used when ../shared/data is absent: a small two-hop item of our own.
const fallbackItem = {
  id: "builtin-1",
  question: "Which river flows through the city where the Eiffel Tower stands?",
  answer: "Seine",
  context: [
    { title: "Eiffel Tower", sentences: ["The Eiffel Tower is a wrought-iron tower in Paris, France."] },
    { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through the city."] },
    { title: "Lyon", sentences: ["Lyon lies where the Rhone and the Saone meet."] },
  ] as Paragraph[],
};

export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, { data: { type: "string" } });
  const dataFile = typeof values.data === "string" ? values.data : path.resolve("../shared/data/hotpotqa/haps_test.jsonl");
  let item = fallbackItem;
  if (existsSync(dataFile)) {
    const { items, problems } = await loadHotpotQa(dataFile);
    if (problems.length > 0) console.log(`(${problems.length} malformed records skipped in ${dataFile})`);
    const first = items[0];
    if (first?.context && first.answer) item = { id: first.id, question: first.question, answer: first.answer, context: first.context };
    console.log(`HotpotQA item ${item.id} from ${dataFile}`);
  } else {
    console.log(`${dataFile} not found: using a built-in two-hop question instead.`);
  }

  const started = performance.now();
  const { runtime, pipeline } = await openPipeline({ ...runtimeOptionsFrom(values), onLog: (level, m) => level === "info" && console.log(m) });
  try {
    const info = await runtime.info();
    console.log(`Runtime: node-llama-cpp ${info.nodeLlamaCppVersion}, backend ${info.backend}, ${info.threads} thread(s)`);
    console.log("Candidates:");
    for (const c of pipeline.config.candidates) {
      const m = pipeline.policy.config.candidates.find((x) => x.id === c.id);
      const widths = m?.oProj?.map((o) => `${o.inWidth}->${o.outWidth}`);
      console.log(`  ${c.id}: ${m?.blockCount} layers, o_proj ${widths?.[widths.length - 1] ?? "?"}, ${c.open ? "open" : "closed"}, ${c.model}`);
    }
    console.log("The embedded models have random weights: their text is gibberish by design. Routing, adapters, protocol and accounting are real.");

    const report = await pipeline.run(
      { id: item.id, question: item.question, context: item.context, gold: item.answer },
      { onEvent: streamEvents(process.stdout) },
    );
    printReport(report, process.stdout);
    console.log(`Gold answer: ${JSON.stringify(item.answer)}`);
    console.log(`Demo finished in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  } finally {
    await runtime.dispose();
  }
}
