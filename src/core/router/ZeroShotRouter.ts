// The untrained high-level router: the router LLM itself answers {"<agent>": "<candidate id>", ...} under a
// JSON-schema grammar, so the answer is always valid. The probability of each allowed id is read from the same
// constrained distribution at the point where that field's value starts.
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { Assignment } from "./Assignment.ts";

export class ZeroShotRouter {
  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly modelPath: string,
  ) {}

  async route(routingPrompt: string, agentIds: string[], candidateIds: string[], signal?: AbortSignal): Promise<Assignment> {
    const schema = {
      type: "object",
      properties: Object.fromEntries(agentIds.map((a) => [a, { enum: candidateIds }])),
      required: agentIds,
      additionalProperties: false,
    };
    const prompt = `${routingPrompt}\nJSON:`;
    const result = await this.runtime.generate(
      { modelPath: this.modelPath, prompt, jsonSchema: schema, maxTokens: 32 + 16 * agentIds.length },
      { signal },
    );
    const answer = JSON.parse(result.text) as Record<string, string>;
    const probabilities: Assignment["probabilities"] = {};
    let logProbability = 0;
    for (const agent of agentIds) {
      // The grammar wrote `"agent": "` just before the value; score the allowed ids from exactly that point.
      const key = `"${agent}"`;
      const keyAt = result.text.indexOf(key);
      const valueAt = result.text.indexOf('"', result.text.indexOf(":", keyAt + key.length)) + 1;
      const probs = await this.runtime.constrainedChoiceProbabilities(
        this.modelPath,
        prompt + result.text.slice(0, valueAt),
        candidateIds,
        '"',
      );
      probabilities[agent] = Object.fromEntries(candidateIds.map((c, i) => [c, probs[i]]));
      logProbability += Math.log(probabilities[agent][answer[agent]]);
    }
    return { choice: answer, probabilities, logProbability, mode: "zero-shot", rawAnswer: result.text };
  }
}
