/** Tokens one model consumed and produced during an episode. */
export interface TokenUsage {
  input: number;
  output: number;
}

/** Prices of one model in currency units per million tokens. */
export interface TokenPrice {
  input: number;
  output: number;
}

function checkCount(value: number, where: string): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`episodeCost: ${where} must be a finite number >= 0, got ${value}`);
}

/**
 * Cost of one episode: the sum over models of (input tokens * input price + output tokens * output price) / 1e6.
 * Throws, naming the model and field, when a used model has no price or a count or price is negative or not finite,
 * since a silently zero cost would teach the router that the model is free. A model with zero tokens needs no price.
 */
export function episodeCost(tokensPerModel: Record<string, TokenUsage>, pricesPerMillion: Record<string, TokenPrice>): number {
  let total = 0;
  for (const [model, usage] of Object.entries(tokensPerModel)) {
    checkCount(usage.input, `tokens of "${model}".input`);
    checkCount(usage.output, `tokens of "${model}".output`);
    if (usage.input === 0 && usage.output === 0) continue;
    const price = Object.hasOwn(pricesPerMillion, model) ? pricesPerMillion[model] : undefined;
    if (price === undefined) throw new RangeError(`episodeCost: no price for model "${model}"`);
    checkCount(price.input, `price of "${model}".input`);
    checkCount(price.output, `price of "${model}".output`);
    total += usage.input * price.input + usage.output * price.output;
  }
  return total / 1e6;
}
