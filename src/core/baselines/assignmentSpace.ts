import type { AssignmentOption, AssignmentSpace, BaselineCandidate } from "./types.ts";

/**
 * Enumerates the M^N assignments of `candidates` to `agents`, agent 0's choice varying slowest: with agents
 * [teacher, student] and candidates [a, b] the order is (a,a), (a,b), (b,a), (b,b), the action indices of the HAPS
 * reference router. Each assignment gets a label and a text descriptor naming every agent's model and what it is.
 */
export function buildAssignmentSpace(agents: readonly string[], candidates: readonly BaselineCandidate[]): AssignmentSpace {
  if (agents.length === 0) throw new Error("buildAssignmentSpace: no agents");
  if (candidates.length === 0) throw new Error("buildAssignmentSpace: no candidates");
  if (new Set(agents).size !== agents.length) throw new Error(`buildAssignmentSpace: agent names repeat: ${agents.join(", ")}`);
  const ids = candidates.map((c) => c.id);
  if (new Set(ids).size !== ids.length) throw new Error(`buildAssignmentSpace: candidate ids repeat: ${ids.join(", ")}`);
  candidates.forEach((c, i) => {
    if (typeof c.id !== "string" || c.id.length === 0) throw new Error(`buildAssignmentSpace: candidate ${i} has no id`);
    for (const field of ["input", "output"] as const) {
      const p = c.price?.[field];
      if (typeof p !== "number" || !Number.isFinite(p) || p < 0) {
        throw new Error(`buildAssignmentSpace: candidate "${c.id}" field price.${field} must be a finite number >= 0, got ${String(p)}`);
      }
    }
    if (typeof c.descriptor !== "string" || c.descriptor.trim().length === 0) {
      throw new Error(`buildAssignmentSpace: candidate "${c.id}" field descriptor must be a non-empty line of text`);
    }
  });
  const total = candidates.length ** agents.length;
  const assignments: AssignmentOption[] = [];
  for (let index = 0; index < total; index++) {
    const choices: number[] = [];
    let rest = index;
    for (let n = agents.length - 1; n >= 0; n--) {
      choices[n] = rest % candidates.length;
      rest = Math.floor(rest / candidates.length);
    }
    assignments.push({
      choices,
      label: agents.map((agent, n) => `${agent}=${candidates[choices[n]].id}`).join(", "),
      descriptor: agents.map((agent, n) => `${agent}: ${candidates[choices[n]].descriptor.trim()}`).join(" | "),
    });
  }
  return { agents: [...agents], candidates: [...candidates], assignments };
}

/**
 * The same space with an embedding for every assignment's descriptor (one per assignment, in order), as GraphRouter
 * and IRT-Router need; all must have the same width.
 */
export function withAssignmentEmbeddings(space: AssignmentSpace, embeddings: readonly Float32Array[]): AssignmentSpace {
  if (embeddings.length !== space.assignments.length) {
    throw new Error(`withAssignmentEmbeddings: ${space.assignments.length} assignments but ${embeddings.length} embeddings`);
  }
  const width = embeddings[0]?.length ?? 0;
  embeddings.forEach((e, i) => {
    if (!(e instanceof Float32Array) || e.length === 0) throw new Error(`withAssignmentEmbeddings: embedding ${i} must be a non-empty Float32Array`);
    if (e.length !== width) throw new Error(`withAssignmentEmbeddings: embedding ${i} has width ${e.length}, embedding 0 has ${width}`);
    e.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`withAssignmentEmbeddings: embedding ${i} entry ${j} is not finite (${v})`);
    });
  });
  return { ...space, assignments: space.assignments.map((a, i) => ({ ...a, embedding: embeddings[i] })) };
}

/** The assignments' descriptor embeddings, or an error naming the method and the first assignment without one. */
export function requireAssignmentEmbeddings(space: AssignmentSpace, where: string): Float32Array[] {
  return space.assignments.map((a, i) => {
    if (!a.embedding) throw new Error(`${where}: assignment ${i} (${a.label}) has no descriptor embedding; give them with withAssignmentEmbeddings`);
    return a.embedding;
  });
}
