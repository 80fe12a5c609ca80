// Mean vs last-token pooling: how much of the backbone feature depends on the problem (see router/Backbone.ts).
import { existsSync } from "node:fs";
import path from "node:path";
import type { HapsPipeline } from "../../core/episode/HapsPipeline.ts";
import { buildRoutingPrompt, routingPromptText } from "../../core/router/RoutingPrompt.ts";
import type { LlamaRuntime } from "../../core/runtime/LlamaRuntime.ts";

const poolingQuestions = [
  "Which river flows through the capital of France?",
  "Who wrote the novel that the film Blade Runner is based on?",
  "Are the Matterhorn and Mont Blanc in the same country?",
  "What year was the university attended by the author of Dracula founded?",
  "Which band released an album named after a London street?",
  "Is the Danube longer than the Rhine?",
  "Who directed the first film shot in the Sahara desert?",
  "What is the population of the town where Mozart was born?",
  "Which element was discovered by the scientist born in Warsaw?",
  "What instrument did the composer of the Four Seasons play?",
  "Which team won the first World Cup held in South America?",
  "When did the bridge over the Golden Gate strait open?",
  "Who founded the company that makes the iPhone?",
  "Which planet did the Cassini probe study?",
  "What language is spoken in the country north of Portugal?",
  "Which mountain range separates Europe from Asia?",
  "Who painted the ceiling of the Sistine Chapel?",
  "Which ocean lies west of Chile?",
  "What is the capital of the country that hosted the 2008 Olympics?",
  "Which author created the detective who lived on Baker Street?",
];

/** Mean vs last-token pooling: how much of the backbone feature depends on the problem (see Backbone.ts). */
export async function poolingShares(runtime: LlamaRuntime, pipeline: HapsPipeline): Promise<Record<string, { mean: number; last: number }>> {
  const models: Record<string, string> = { "embedded router": pipeline.config.router.model };
  for (const name of ["stories260K", "llama-2-tiny-random"]) {
    const file = path.resolve("../shared/models", `${name}.gguf`);
    if (existsSync(file)) models[name] = file;
  }
  const result: Record<string, { mean: number; last: number }> = {};
  for (const [name, file] of Object.entries(models)) {
    const share = async (pooling: "mean" | "last") => {
      const prompts = poolingQuestions.map((q) =>
        routingPromptText(buildRoutingPrompt(pipeline.config.agents, pipeline.config.tasks["search-qa"], { question: q }, pipeline.config.candidates)),
      );
      const features = (await runtime.embed(file, prompts, pooling)).map((f) => {
        const rms = Math.sqrt(f.reduce((a, x) => a + x * x, 0) / f.length) || 1;
        return f.map((x) => x / rms);
      });
      const width = features[0].length;
      let variance = 0;
      for (let k = 0; k < width; k++) {
        const mean = features.reduce((a, f) => a + f[k], 0) / features.length;
        variance += features.reduce((a, f) => a + (f[k] - mean) ** 2, 0) / features.length;
      }
      return variance / width;
    };
    result[name] = { mean: await share("mean"), last: await share("last") };
  }
  return result;
}
