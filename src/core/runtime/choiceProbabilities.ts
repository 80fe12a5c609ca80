// Constrained choice probabilities over a held prompt: what a grammar allowing only the given strings would give.
import type { Token } from "node-llama-cpp";
import type { PrefixSequence } from "./PrefixSequence.ts";

/**
 * The probability of each choice (token lists sharing a prompt; each ends with its terminator) under the constrained
 * distribution: the shared part is held in `sequence`, each choice's tail evaluated after it and erased again, and at
 * each step the distribution is renormalised over the tokens that keep some choice reachable. Sums to 1.
 */
export async function choiceProbabilities(sequence: PrefixSequence, full: Token[][]): Promise<number[]> {
  // Tokens shared by every choice's text are context; each choice's own tokens start after them.
  let common = 0;
  while (full.every((t) => common < t.length - 1 && t[common] === full[0][common])) common++;
  // Tokens allowed at position i of a choice: the next token of every choice that agrees with it so far.
  const allowedAt = (tokens: Token[], i: number) => {
    const allowed = new Set<Token>();
    for (const other of full) if (other.length > i && tokens.slice(common, i).every((t, j) => other[common + j] === t)) allowed.add(other[i]);
    return allowed;
  };
  // Where only one token keeps the choice reachable, the constrained step has probability 1 and needs no model
  // evaluation: a choice's tail stops at its last contested position. Choices that part at their first token (most
  // candidate ids) then all need just the distribution after the shared part - one evaluation for all of them.
  const tails = full.map((tokens) => {
    let last = common;
    for (let i = common; i < tokens.length; i++) if (allowedAt(tokens, i).size > 1) last = i;
    return tokens.slice(common - 1, last);
  });
  const evaluated = new Map<string, Map<Token, number>[]>();
  if (tails.every((t) => t.length === 1)) {
    // The usual case: the prompt and the distribution after it in one batch (nothing at all when it is cached).
    evaluated.set(tails[0].join(","), [await sequence.holdAndPeek(full[0].slice(0, common))]);
  } else {
    await sequence.hold(full[0].slice(0, common - 1));
    for (const tail of tails) {
      const key = tail.join(",");
      if (!evaluated.has(key)) evaluated.set(key, await sequence.probabilitiesAlong(tail));
    }
  }
  const scores = full.map((tokens, c) => {
    const steps = evaluated.get(tails[c].join(","))!;
    let logP = 0;
    for (let i = common; i < tokens.length; i++) {
      const allowed = allowedAt(tokens, i);
      if (allowed.size === 1) continue; // the only way on: probability 1
      const probs = steps[i - common];
      let mass = 0;
      for (const t of allowed) mass += probs.get(t) ?? 0;
      const p = probs.get(tokens[i]) ?? 0;
      logP += mass > 0 ? Math.log(Math.max(p, 1e-300) / mass) : Math.log(1 / allowed.size);
    }
    return logP;
  });
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / total);
}
