// The untrained high-level router: the router LLM itself answers {"<agent>": "<candidate id>", ...}, constrained so
// that only the allowed ids can appear. We write the JSON's fixed parts (keys, punctuation, canonical white space)
// ourselves and let the model choose each value from the constrained distribution over the allowed ids - what a
// JSON-schema grammar does, minus the free white space in which weak models wander until their token budget ends.
// The answer is therefore always valid JSON, and each choice comes with its probability. That distribution is the
// grammar's exactly (over the ids' canonical tokens): the model's next-token distribution masked to the tokens that
// continue some id and renormalised, read only where the ids' token trie branches (choiceProbabilities) - ids that
// part at their first token cost one distribution after the prompt, and no id's own tokens are decoded.
//
// Where the time goes: each agent's distribution is read after the JSON up to its value, which follows the query and
// holds the earlier agents' chosen ids. That JSON is decoded ahead - in the query's own batch with the layer-input
// feature, in one batch after it with the output feature - for a guess of the earlier choices (the last query's,
// while it has held; see GUESS_THRESHOLD). An exact route still decodes every token of it: on the routing bench that
// is 36 tokens after a 44-token query, which is why a zero-shot route costs about twice the query's own prefill.
//
// The cost preference alpha acts here too. For each agent the router LLM gives log p(m) over the candidates; each
// candidate's price is min-max normalised over the candidate list (c_m in [0, 1], the cheapest 0, the dearest 1;
// all 0 when every price is equal), and the decision is
//
//   argmax_m  log p(m) - alpha * ZERO_SHOT_COST_SCALE * c_m,   ZERO_SHOT_COST_SCALE = ln 10,
//
// reported as the distribution softmax(log p - alpha * ln 10 * c). So at alpha = 1 the dearest candidate must be ten
// times likelier than the cheapest to be chosen, at alpha = 0.5 about three times, and at alpha = 0 the router LLM
// decides alone: raising alpha moves the decisions where the router is unsure to cheaper candidates first.
import { softmax } from "../nn/softmax.ts";
import type { LlamaRuntime, RoutingPass } from "../runtime/LlamaRuntime.ts";
import type { Assignment } from "./Assignment.ts";
import { routingPromptText, type RoutingPrompt } from "./RoutingPrompt.ts";

/** Nats of log-probability that the full price range costs at alpha = 1. */
export const ZERO_SHOT_COST_SCALE = Math.LN10;

export interface ZeroShotCandidate {
  id: string;
  /** Price per million tokens, input and output (their mean is what is normalised). */
  price: { input: number; output: number };
}

/**
 * The guess of the earlier agents' choices is decoded ahead while it held at least this often over the last
 * GUESS_WINDOW later-agent decisions. The routing bench's readAheadCost (2048-wide router on the CPU, CPU time over
 * the query's prefill, medians of 16 queries; bench/partial/2026-12-06-routing-{k,l,m}-read-ahead-policy.json): with
 * the layer-input feature a held guess costs 2.08-2.26x, a missed one 2.68-2.81x, no guess (only the fixed JSON head
 * read ahead) 2.29-2.37x - break-even at a 65-80 % hit rate; with the output feature 2.44-2.63x / 3.09-3.16x /
 * 2.65-2.79x - break-even at 69-86 %.
 */
export const GUESS_THRESHOLD = 0.8;
export const GUESS_WINDOW = 8;

export class ZeroShotRouter {
  /**
   * Each agent's latest choice: the guess for the JSON read ahead. A later agent's decision is read after the earlier
   * agents' chosen ids, which are known only once they are decided; while the guess (the last query's choices) has
   * mostly held, the router decodes the later prompts for it in the same batch as the first decision's prompt, and
   * keeps their distributions when it holds; otherwise it reads ahead only the fixed text before the first decision.
   * The decisions never depend on the guess: a causal model's distribution after a text does not depend on the tokens
   * that follow it in the batch, and a wrong guess is erased and the right text decoded (at the cost of its tokens).
   */
  private readonly lastChoice = new Map<string, string>();
  /** Whether the guess held, for the last GUESS_WINDOW later-agent decisions (decoded ahead or not). */
  private readonly outcomes: boolean[] = [];
  /**
   * Later agents' decisions whose prompt had been decoded ahead for the guess (`held`, `missed`), and those read
   * without a guess decoded ahead (`unguessed`), over this router's life.
   */
  readonly readAhead = { held: 0, missed: 0, unguessed: 0 };

  /** Whether the guess is decoded ahead now. */
  private get guessing(): boolean {
    if (this.options.readAhead !== "adaptive") return this.options.readAhead === "guess";
    // No guess before a first route: the first candidate would be a blind one.
    if (this.lastChoice.size === 0) return false;
    return this.outcomes.length === 0 || this.outcomes.filter(Boolean).length / this.outcomes.length >= GUESS_THRESHOLD;
  }

  /** Sets the choices the next route's read-ahead guesses (the bench measures a held and a missed guess with it). */
  hintGuess(choice: Record<string, string>): void {
    for (const [agent, id] of Object.entries(choice)) this.lastChoice.set(agent, id);
  }

  constructor(
    private readonly runtime: LlamaRuntime,
    private readonly modelPath: string,
    /** The backbone's pooling: the decisions are read on the same router sequence as the feature. */
    private readonly pooling: "mean" | "last" = "mean",
    /**
     * The layer whose input is the feature (FeatureKind "layer-input"), else undefined: the decisions are then read on
     * that feature's plain-context sequence (LayerInputSequence), after the same cached tokens.
     */
    private readonly layerInput?: number,
    /**
     * `readAhead`: "adaptive" (the default) decodes the guess ahead while it has held (GUESS_THRESHOLD); "guess"
     * always, "head" never (only the fixed text before the first decision is read ahead) - for the bench's comparison.
     */
    private readonly options: { readAhead: "adaptive" | "guess" | "head" } = { readAhead: "adaptive" },
  ) {}

  /**
   * Decides agent by agent, in order; each later choice sees the earlier ones in the JSON written so far.
   * `alpha` (>= 0) trades the router LLM's preference against the candidates' normalised prices.
   */
  async route(routingPrompt: RoutingPrompt, agentIds: string[], candidates: ZeroShotCandidate[], alpha = 0, signal?: AbortSignal): Promise<Assignment> {
    return await this.runtime.routingPass(this.modelPath, this.pooling, (pass) => this.decide(pass, routingPrompt, agentIds, candidates, alpha, signal), this.layerInput);
  }

  /**
   * The backbone feature (Backbone.feature, same pooling) and the decision from one pass: the query's tokens are
   * evaluated once, their pooled state is the feature, and each agent's decision evaluates only the JSON after them -
   * with the layer-input feature, in the query's own decode (the feature pools the query's rows only).
   */
  async routeWithFeature(
    routingPrompt: RoutingPrompt,
    agentIds: string[],
    candidates: ZeroShotCandidate[],
    alpha = 0,
    signal?: AbortSignal,
  ): Promise<{ assignment: Assignment; feature: Float32Array }> {
    return await this.runtime.routingPass(this.modelPath, this.pooling, async (pass) => {
      const candidateIds = candidates.map((c) => c.id);
      const prompts = this.decisionPrompts(routingPrompt, agentIds, candidateIds, []);
      const ahead = { texts: this.guessing ? prompts : prompts.slice(0, 1), choices: candidateIds, terminator: '"' };
      const feature = Float32Array.from(await pass.feature(routingPrompt.prefix, routingPrompt.problem, ahead));
      return { feature, assignment: await this.decide(pass, routingPrompt, agentIds, candidates, alpha, signal) };
    }, this.layerInput);
  }

  /**
   * The texts each agent's decision is read after: the routing prompt and the JSON up to that agent's value, with the
   * ids chosen so far (`chosen`, in agent order) and the guesses for the agents not yet decided.
   */
  private decisionPrompts(routingPrompt: RoutingPrompt, agentIds: string[], candidateIds: string[], chosen: string[]): string[] {
    let json = "{";
    return agentIds.map((agent, k) => {
      if (k > 0) {
        const previous = agentIds[k - 1];
        const last = this.lastChoice.get(previous);
        json += `${chosen[k - 1] ?? (last != null && candidateIds.includes(last) ? last : candidateIds[0])}", `;
      }
      json += `${JSON.stringify(agent)}: "`;
      return `${routingPromptText(routingPrompt)}\nJSON: ${json}`;
    });
  }

  private async decide(pass: RoutingPass, routingPrompt: RoutingPrompt, agentIds: string[], candidates: ZeroShotCandidate[], alpha: number, signal?: AbortSignal): Promise<Assignment> {
    if (!(alpha >= 0 && Number.isFinite(alpha))) throw new Error(`ZeroShotRouter: alpha must be a finite number >= 0, got ${alpha}`);
    const candidateIds = candidates.map((c) => c.id);
    const penalty = normalisedPrices(candidates).map((c) => alpha * ZERO_SHOT_COST_SCALE * c);
    const chosen: string[] = [];
    const choice: Record<string, string> = {};
    const probabilities: Assignment["probabilities"] = {};
    let logProbability = 0;
    // Decided once per route, so that a route reads its decisions one way.
    const guessing = this.guessing;
    let guessed = this.decisionPrompts(routingPrompt, agentIds, candidateIds, []);
    for (const [i, agent] of agentIds.entries()) {
      signal?.throwIfAborted();
      const prompts = this.decisionPrompts(routingPrompt, agentIds, candidateIds, chosen);
      if (i > 0) {
        const held = prompts[i] === guessed[i];
        this.readAhead[!guessing ? "unguessed" : held ? "held" : "missed"]++;
        // Whether the last query's choice would have held, decoded ahead or not (a first route has none to judge).
        if (this.lastChoice.has(agentIds[i - 1])) {
          this.outcomes.push(held);
          if (this.outcomes.length > GUESS_WINDOW) this.outcomes.shift();
        }
      }
      guessed = prompts;
      // The router's own sequence keeps the prompt: the fixed prefix from earlier queries, and this query's tokens
      // for the next agent, whose prompt only adds the JSON written so far. The later agents' prompts, for the guess,
      // are decoded in the same batch.
      const probs = await pass.choose(prompts[i], candidateIds, '"', guessing ? prompts.slice(i + 1) : []);
      const scores = probs.map((p, k) => Math.log(Math.max(p, 1e-300)) - penalty[k]);
      const adjusted = softmax(scores);
      // Greedy over whole values (ties go to the earlier candidate).
      let best = 0;
      for (let c = 1; c < adjusted.length; c++) if (adjusted[c] > adjusted[best]) best = c;
      choice[agent] = candidateIds[best];
      chosen.push(candidateIds[best]);
      probabilities[agent] = Object.fromEntries(candidateIds.map((c, k) => [c, adjusted[k]]));
      logProbability += Math.log(adjusted[best]);
    }
    for (const agent of agentIds) this.lastChoice.set(agent, choice[agent]);
    const json = `{${agentIds.map((agent) => `${JSON.stringify(agent)}: "${choice[agent]}"`).join(", ")}}`;
    return { choice, probabilities, logProbability, mode: "zero-shot", rawAnswer: json };
  }
}

/** Each candidate's mean price, min-max normalised over the list: 0 for the cheapest, 1 for the dearest. */
export function normalisedPrices(candidates: readonly ZeroShotCandidate[]): number[] {
  const mean = candidates.map((c) => (c.price.input + c.price.output) / 2);
  const min = Math.min(...mean);
  const max = Math.max(...mean);
  return mean.map((p) => (max > min ? (p - min) / (max - min) : 0));
}
