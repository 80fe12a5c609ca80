// Constrained choice probabilities over a held prompt: what a grammar allowing only the given strings would give.
//
// The choices' token lists form a trie below the prompt (the tokens every choice shares). A grammar's distribution is
// the model's, masked and renormalised step by step: at a node, only the tokens that continue some choice are allowed.
// A node with one child is forced (probability 1 under the grammar), so the model is read only at branching nodes: for
// candidate ids that part at their first token that is one distribution, right after the prompt, and no choice's own
// tokens are decoded at all. Deeper branching nodes (ids sharing a first token) are read by decoding the path to them,
// each path once, several branching nodes on one path from the same decode.
//
// A choice is followed by its tokenizer's canonical tokens only: a grammar over text would also allow other spellings
// of the same string (e.g. "sm" + "all" where the tokenizer writes "small"), whose mass this leaves out - the usual
// approximation, and the one that needs no search over spellings.
import type { Token } from "node-llama-cpp";
import type { PrefixSequence } from "./PrefixSequence.ts";

/** A read on a sequence: the distributions after tokens[0, n) for each n of `at`, from one decode of `tokens`. */
export interface TrieRead {
  tokens: Token[];
  at: number[];
}

/** The shape of the choices' trie: the prompt (tokens every choice shares) and each node's children. */
function trieOf(full: readonly Token[][]): { common: number; key: (tokens: readonly Token[], i: number) => string; children: Map<string, Set<Token>> } {
  // Tokens shared by every choice's text are the prompt; each choice keeps at least one token of its own.
  let common = 0;
  while (full.every((t) => common < t.length - 1 && t[common] === full[0][common])) common++;
  const key = (tokens: readonly Token[], i: number) => tokens.slice(common, i).join(",");
  const children = new Map<string, Set<Token>>();
  for (const tokens of full) {
    for (let i = common; i < tokens.length; i++) {
      const k = key(tokens, i);
      if (!children.has(k)) children.set(k, new Set());
      children.get(k)!.add(tokens[i]);
    }
  }
  return { common, key, children };
}

const startsWith = (list: readonly Token[], head: readonly Token[]) => list.length >= head.length && head.every((t, i) => list[i] === t);

/**
 * The reads that give every branching point of the choices' trie: for each choice, the path to its deepest branching
 * point, with the positions read on the way; a path that is a prefix of another is read on that one. Positions are
 * token counts (the distribution "at i" is the one after tokens[0, i)).
 */
export function choiceReads(full: readonly Token[][]): TrieRead[] {
  const { common, key, children } = trieOf(full);
  const paths: TrieRead[] = [];
  for (const tokens of full) {
    const at: number[] = [];
    for (let i = common; i < tokens.length; i++) if (children.get(key(tokens, i))!.size > 1) at.push(i);
    if (at.length > 0) paths.push({ tokens: tokens.slice(0, at[at.length - 1]), at });
  }
  paths.sort((a, b) => b.tokens.length - a.tokens.length);
  const groups: TrieRead[] = [];
  for (const p of paths) {
    const host = groups.find((g) => startsWith(g.tokens, p.tokens));
    if (host != null) host.at = [...new Set([...host.at, ...p.at])];
    else groups.push({ tokens: p.tokens, at: [...p.at] });
  }
  for (const g of groups) g.at.sort((a, b) => a - b);
  return groups;
}

/**
 * `read` extended by those of `ahead` (in order) that extend it - each the longest chain: a read whose tokens start
 * with the chain so far joins it, with its positions.
 */
export function chainAhead(read: TrieRead, ahead: readonly TrieRead[]): TrieRead {
  const chain = { tokens: read.tokens.slice(), at: [...read.at] };
  for (const next of ahead) {
    if (next.tokens.length < chain.tokens.length || !startsWith(next.tokens, chain.tokens)) continue;
    chain.tokens = next.tokens.slice();
    chain.at = [...new Set([...chain.at, ...next.at])].sort((a, b) => a - b);
  }
  return chain;
}

/**
 * The probability of each choice (token lists sharing a prompt; each ends with its terminator) under the constrained
 * distribution, read on `sequence` (which keeps whatever it already holds of the prompt). Sums to 1.
 *
 * `ahead`: reads that later decisions will need (choiceReads of the next agents' choices, after a guessed text); the
 * longest chain of them that extends one of this decision's reads is decoded in the same batch, so that a later read
 * finds its distributions cached. They change no figure here.
 */
export async function choiceProbabilities(sequence: PrefixSequence, full: Token[][], ahead: readonly TrieRead[] = []): Promise<number[]> {
  const { common, key, children } = trieOf(full);
  const groups = choiceReads(full);
  // At most one group can carry the chain (groups are not prefixes of each other): the first it extends.
  const carrier = groups.findIndex((g) => ahead.some((r) => startsWith(r.tokens, g.tokens)));
  if (carrier >= 0) groups[carrier] = chainAhead(groups[carrier], ahead);
  const read = new Map<string, Map<Token, number>>();
  for (const group of groups) {
    const distributions = await sequence.peekAlong(group.tokens, group.at);
    group.at.forEach((n, k) => {
      if (n >= common) read.set(key(group.tokens, n), distributions[k]);
    });
  }
  const scores = full.map((tokens) => {
    let logP = 0;
    for (let i = common; i < tokens.length; i++) {
      const allowed = children.get(key(tokens, i))!;
      if (allowed.size === 1) continue; // the only way on: probability 1, not read
      const probs = read.get(key(tokens, i))!;
      let mass = 0;
      for (const t of allowed) mass += probs.get(t) ?? 0;
      const p = probs.get(tokens[i]) ?? 0;
      logP += mass > 0 ? Math.log(Math.max(p, 1e-300) / mass) : Math.log(1 / allowed.size);
    }
    return logP;
  });
  // Without a terminator one choice may be a prefix of another ("a", "ab"): where a choice ends the grammar could stop
  // or go on, and the model's probability of stopping is not read, so the scores are renormalised over the choices
  // (a no-op when the choices form a proper trie, as they do with a terminator).
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const total = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / total);
}
