// The untrained high-level router: the router LLM itself answers {"<agent>": "<candidate id>", ...}, constrained so
// that only the allowed ids can appear. We write the JSON's fixed parts (keys, punctuation, canonical white space)
// ourselves and let the model choose each value from the constrained distribution over the allowed ids - what a
// JSON-schema grammar does, minus the free white space in which weak models wander until their token budget ends.
// The answer is therefore always valid JSON, and each choice comes with its probability.
import type { LlamaRuntime } from "../runtime/LlamaRuntime.ts";
import type { Assignment } from "./Assignment.ts";

export class ZeroShotRouter {
  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly modelPath: string,
  ) {}

  /** Decides agent by agent, in order; each later choice sees the earlier ones in the JSON written so far. */
  async route(routingPrompt: string, agentIds: string[], candidateIds: string[], signal?: AbortSignal): Promise<Assignment> {
    let json = "{";
    const choice: Record<string, string> = {};
    const probabilities: Assignment["probabilities"] = {};
    let logProbability = 0;
    for (const [i, agent] of agentIds.entries()) {
      signal?.throwIfAborted();
      json += `${i === 0 ? "" : ", "}${JSON.stringify(agent)}: "`;
      const probs = await this.runtime.constrainedChoiceProbabilities(this.modelPath, `${routingPrompt}\nJSON: ${json}`, candidateIds, '"');
      // Greedy over whole values (ties go to the earlier candidate).
      let best = 0;
      for (let c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
      choice[agent] = candidateIds[best];
      probabilities[agent] = Object.fromEntries(candidateIds.map((c, k) => [c, probs[k]]));
      logProbability += Math.log(probs[best]);
      json += `${candidateIds[best]}"`;
    }
    json += "}";
    return { choice, probabilities, logProbability, mode: "zero-shot", rawAnswer: json };
  }
}
