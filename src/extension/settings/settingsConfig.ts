// The HAPS configuration that the settings describe (haps.models.*, haps.lora.*, haps.search.*), as the plain object
// a configuration file would hold. The engine validates it (parseHapsConfig) like a file; this module only maps
// setting names to configuration fields. No `vscode` import: the values come in as data.
import { defaultAgents } from "../../core/config/HapsConfig.ts";

/** One entry of `haps.models.candidates`. */
export interface CandidateSetting {
  /** GGUF path. */
  model: string;
  /** Display name. Defaults to the file name without `.gguf`. */
  name?: string;
  /** Per million input tokens. Defaults to 0. */
  priceInput?: number;
  /** Per million output tokens. Defaults to 0. */
  priceOutput?: number;
  /** Defaults to true. */
  open?: boolean;
}

/** The settings that describe models, with paths already resolved. */
export interface ModelSettings {
  candidates: CandidateSetting[];
  router: string;
  embedding: string;
  lora: { rank: number; depth: number; scale: number };
  search: { budget: number; maxRounds: number };
}

/** A candidate's id: its display name reduced to the characters ids allow, unique in the list. */
export function candidateIds(candidates: readonly CandidateSetting[]): string[] {
  const used = new Set<string>();
  return candidates.map((c, i) => {
    const base =
      displayName(c)
        .replace(/[^A-Za-z0-9_.-]+/g, "-")
        .replace(/^-+|-+$/g, "") || `model-${i + 1}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return id;
  });
}

export function displayName(c: CandidateSetting): string {
  const name = c.name?.trim();
  if (name) return name;
  const file = c.model.split(/[\\/]/).pop() ?? c.model;
  return file.replace(/\.gguf$/i, "");
}

/** The configuration object, and each candidate id's display name. */
export function settingsConfig(settings: ModelSettings): { config: Record<string, unknown>; names: Record<string, string> } {
  const ids = candidateIds(settings.candidates);
  const names = Object.fromEntries(settings.candidates.map((c, i) => [ids[i], displayName(c)]));
  const config: Record<string, unknown> = {
    router: { model: settings.router },
    agents: defaultAgents,
    candidates: settings.candidates.map((c, i) => ({
      id: ids[i],
      model: c.model,
      open: c.open ?? true,
      description: displayName(c),
      price: { input: c.priceInput ?? 0, output: c.priceOutput ?? 0 },
    })),
    generator: { rank: settings.lora.rank, lastLayers: settings.lora.depth, scale: settings.lora.scale },
    protocol: { searchBudget: settings.search.budget, maxRounds: settings.search.maxRounds },
  };
  if (settings.embedding) config.embeddingModel = settings.embedding;
  return { config, names };
}
