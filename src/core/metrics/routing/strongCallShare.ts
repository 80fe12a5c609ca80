/**
 * Share of agent calls that went to the strong candidate, over items routed to one candidate per agent: with two
 * agents, an item whose Teacher and Student both use the strong model counts 2 of 2 calls, a mixed one 1 of 2. This
 * is the x axis of a RouteLLM-style curve for multi-agent assignments (for a single agent it is RouteLLM's own).
 */
export function strongCallShare(choicesPerItem: readonly (readonly number[])[], strongCandidate: number): number {
  if (choicesPerItem.length === 0) throw new RangeError("strongCallShare: no items");
  let strong = 0;
  let calls = 0;
  choicesPerItem.forEach((choices, i) => {
    if (choices.length === 0) throw new RangeError(`strongCallShare: item ${i} has no agent`);
    for (const c of choices) {
      if (!Number.isInteger(c) || c < 0) throw new RangeError(`strongCallShare: item ${i} has candidate index ${c}`);
      if (c === strongCandidate) strong++;
      calls++;
    }
  });
  return strong / calls;
}
