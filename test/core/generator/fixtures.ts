import type { HapsPolicyConfig } from "../../../src/core/router/HapsPolicyConfig.ts";
import type { OProjShape } from "../../../src/core/gguf/types.ts";

/** o_proj shapes for every block of a toy model. */
export function oProjOf(blockCount: number, inWidth: number, outWidth: number): OProjShape[] {
  return Array.from({ length: blockCount }, (_, layer) => ({ layer, inWidth, outWidth }));
}

/** A small policy: two open models of different widths and one closed model. */
export function smallConfig(overrides: Partial<HapsPolicyConfig> = {}): HapsPolicyConfig {
  return {
    featureWidth: 10,
    agents: ["student", "teacher"],
    candidates: [
      { id: "wide", open: true, architecture: "llama", blockCount: 4, oProj: oProjOf(4, 12, 10) },
      { id: "narrow", open: true, architecture: "qwen2", blockCount: 3, oProj: oProjOf(3, 6, 8) },
      { id: "api", open: false },
    ],
    trunkWidth: 8,
    hidden: 7,
    rank: 3,
    lastLayers: 2,
    seed: 11,
    ...overrides,
  };
}
