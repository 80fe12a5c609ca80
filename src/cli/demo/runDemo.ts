// What `haps demo` runs (`npm run demo`): the main job on the embedded models - runtime info, a per-query adapter's
// effect, and one full routed episode on a HotpotQA item (from ../shared/data when present).
import { existsSync } from "node:fs";
import path from "node:path";
import { adapterStats } from "../../core/adapters/adapterStats.ts";
import type { LoraAdapter } from "../../core/adapters/types.ts";
import type { HapsPipeline } from "../../core/episode/HapsPipeline.ts";
import { Rng } from "../../core/nn/Rng.ts";
import type { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";
import { formatProblem, loadHotpotQa } from "../../core/data/index.ts";
import { requireFile } from "../../core/data/files/requireFile.ts";
import type { Paragraph } from "../../core/data/TaskItem.ts";
import { openPipeline } from "../../core/episode/openPipeline.ts";
import { announceDefaultModels } from "../announceDefaultModels.ts";
import type { CliContext } from "../CliCommand.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { printReport, streamEvents } from "../printEpisode.ts";

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


/** How many of a data file's problems are listed before the rest are counted. */
const SHOWN_PROBLEMS = 5;

export async function runDemo(args: string[], { signal }: CliContext): Promise<number> {
  const { values } = parseCliOptions(args, { data: { type: "string" } });
  const explicit = typeof values.data === "string";
  const dataFile = explicit ? values.data as string : path.resolve("../shared/data/hotpotqa/haps_test.jsonl");
  let item = fallbackItem;
  // A file named with --data must be there; only the default one may be absent.
  if (explicit) await requireFile(dataFile, "--data: HotpotQA file");
  if (explicit || existsSync(dataFile)) {
    const { items, problems } = await loadHotpotQa(dataFile);
    for (const problem of problems.slice(0, SHOWN_PROBLEMS)) console.log(`skipped ${formatProblem(problem)}`);
    if (problems.length > SHOWN_PROBLEMS) console.log(`skipped ${problems.length - SHOWN_PROBLEMS} more malformed records in ${dataFile}`);
    const first = items.find((i) => i.context != null && i.answer != null);
    if (first == null) {
      if (explicit) throw new Error(`--data "${dataFile}": no usable HotpotQA record (${items.length} read, ${problems.length} malformed)`);
      console.log(`${dataFile} has no usable record: using a built-in two-hop question instead.`);
    } else {
      item = { id: first.id, question: first.question, answer: first.answer!, context: first.context! };
      console.log(`HotpotQA item ${item.id} from ${dataFile}`);
    }
  } else {
    console.log(`${dataFile} not found: using a built-in two-hop question instead.`);
  }

  const started = performance.now();
  await announceDefaultModels();
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

    await showAdapterEffect(runtime, pipeline);
    signal.throwIfAborted();

    console.log(`\nOne routed episode: ${item.question}`);
    const report = await pipeline.run(
      { id: item.id, question: item.question, context: item.context, gold: item.answer },
      { signal, onEvent: streamEvents(process.stdout) },
    );
    if (signal.aborted) return 1;
    printReport(report, process.stdout);
    console.log(`Gold answer: ${JSON.stringify(item.answer)}`);
    console.log(`Demo finished in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  } finally {
    await runtime.dispose();
  }
}

/** A random rank-8 adapter on the first candidate's last o_proj: the same prompt with and without it. */
async function showAdapterEffect(runtime: LlamaRuntime, pipeline: HapsPipeline): Promise<void> {
  const candidate = pipeline.config.candidates[0];
  const shape = pipeline.policy.config.candidates[0].oProj!.at(-1)!;
  const rank = 8;
  const rng = new Rng(7);
  const adapter: LoraAdapter = {
    architecture: pipeline.policy.config.candidates[0].architecture!,
    layers: [{ ...shape, rank, a: new Float32Array(shape.inWidth * rank), b: new Float32Array(rank * shape.outWidth) }],
  };
  rng.fillNormal(adapter.layers[0].a, 1 / Math.sqrt(shape.inWidth));
  rng.fillNormal(adapter.layers[0].b, 1);
  const [s] = adapterStats(adapter);
  console.log(`\nA random adapter for ${candidate.id}: blk.${s.layer}.attn_output A ${shape.inWidth}x${rank} (|A|=${s.normA.toFixed(3)}), B ${rank}x${shape.outWidth} (|B|=${s.normB.toFixed(3)}), |AB|=${s.normUpdate.toFixed(3)}`);
  const prompt = "The capital of France is";
  const plain = await runtime.generate({ modelPath: candidate.model, prompt, maxTokens: 16 });
  // The runtime checks the adapter against the model, writes it as a LoRA GGUF, attaches it for this call, frees it.
  const adapted = await runtime.generate({ modelPath: candidate.model, prompt, maxTokens: 16, adapter: { lora: adapter } });
  console.log(`  without adapter (${plain.ms.toFixed(1)} ms): ${JSON.stringify(plain.text)}`);
  console.log(`  with adapter    (${adapted.ms.toFixed(1)} ms): ${JSON.stringify(adapted.text)}`);
}
