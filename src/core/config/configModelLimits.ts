// The limits of a configuration's models read from their GGUF headers, without loading any model: what HAPS
// advertises as a language model when another extension lists the language models, which must not start llama.cpp
// (listing is not a request, and loading gigabytes for it is work nobody asked for). The rule is the one
// checkEpisodeRequest enforces on loaded models: each model's context is what the runtime gives it
// (runtime/contextSize.ts), a question may take a quarter of the smallest. The headers are read by readContextLength,
// which decodes only the context length: this runs in the extension host, on files a workspace may have chosen.
import { contextModels, limitsFromContexts, type ModelLimits } from "../engine/checkEpisodeRequest.ts";
import { readContextLength } from "../gguf/readContextLength.ts";
import { DEFAULT_CONTEXT_SIZE, usableContextSize } from "../runtime/contextSize.ts";
import type { HapsConfig } from "./HapsConfig.ts";

export interface HeaderLimits extends ModelLimits {
  /**
   * Models whose header could not be read here (a URI not downloaded yet): counted with the runtime's context,
   * DEFAULT_CONTEXT_SIZE, the most any model gets. A question too long for them is still refused when it is asked.
   */
  unread: string[];
}

/**
 * `locate` maps a configured model (a path or a URI) to a file on disk, or null when there is none yet (a download
 * that has not happened). Throws when a file is there but is not a readable GGUF header, naming the model's role.
 */
export async function configModelLimits(
  config: Pick<HapsConfig, "router" | "candidates" | "maxTokens">,
  locate: (model: string) => Promise<string | null>,
): Promise<HeaderLimits> {
  const contexts: number[] = [];
  const unread: string[] = [];
  for (const m of contextModels(config)) {
    const file = await locate(m.path);
    if (file == null) {
      unread.push(`${m.role} (${m.path})`);
      contexts.push(DEFAULT_CONTEXT_SIZE);
      continue;
    }
    const contextLength = await readContextLength(file).catch((error: Error) => {
      throw new Error(`${m.role}: ${error.message}`);
    });
    contexts.push(usableContextSize(contextLength));
  }
  return { ...limitsFromContexts(contexts, config.maxTokens), unread };
}
