// The configuration used when the user gives none: the embedded models that the project generates itself.
import type { DefaultModels } from "../models/types.ts";
import { defaultAgents, parseHapsConfig, type HapsConfig } from "./HapsConfig.ts";

/**
 * Two open local candidates of different widths and the embedded router. Prices are illustrative, proportional to
 * width, so that the cost term of the reward has something to trade against; set real ones in a configuration file.
 */
export function defaultConfig(models: DefaultModels): HapsConfig {
  return parseHapsConfig(
    {
      router: { model: models.router.path },
      agents: defaultAgents,
      candidates: models.candidates.map((m, i) => ({
        id: m.id,
        model: m.path,
        description: `embedded tiny llama ${m.id} (random weights)`,
        price: { input: 0.1 * (i + 1), output: 0.2 * (i + 1) },
      })),
    },
    "embedded default configuration",
    process.cwd(),
  );
}
