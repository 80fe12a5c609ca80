// `haps proof` (npm run proof): its name and help; runProof.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const proofCommand: CliCommand = {
  name: "proof",
  summary: "the learning claim on the keyword benchmark, with margins stated before the run (exit 1 when unmet)",
  usage: `haps proof [--out DIR] [--work DIR] [--seeds 1,2,3] [--smoke]

  --out DIR       where results.json and report.md go (default: proof/)
  --work DIR      models, data, action-level rows and checkpoints (default: the cache folder's proof/)
  --seeds LIST    training seeds (default 1,2,3)
  --smoke         a seconds-long run of the whole path; the margins are reported, not required

Trains HAPS on the keyword benchmark (known truth, held-out phrasings) for each seed, with and without its adapters,
and compares it on the held-out items with the best fixed assignment, oracle routing and random routing. The
margins (src/core/benchmark/runProof.ts): HAPS - best fixed >= 0.25 and HAPS - without adapters >= 0.10, on the
mean held-out reward over seeds.`,
  run: async (args) => (await import("./runProof.ts")).runProofCommand(args),
};
