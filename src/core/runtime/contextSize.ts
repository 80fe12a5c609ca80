// How many tokens a model's contexts hold, stated once: the runtime (LoadedModel, embedding contexts) sizes them by
// it, and the limits HAPS advertises as a language model are read from GGUF headers by the same rule without loading
// the model (config/configModelLimits.ts).

/** The context a model gets unless asked otherwise, in tokens. */
export const DEFAULT_CONTEXT_SIZE = 2048;

/** A model's usable context: the requested size, at most the model's training context (GGUF `<arch>.context_length`). */
export function usableContextSize(trainContextSize: number, requested: number = DEFAULT_CONTEXT_SIZE): number {
  return Math.min(requested, trainContextSize);
}
