// `haps proof` (npm run proof): its name and help; runProof.ts does the work.
import type { CliCommand } from "../CliCommand.ts";

export const proofCommand: CliCommand = {
  name: "proof",
  summary: "the learning claim on the keyword benchmark, with margins pre-registered in proof/margins.json (exit 1 when unmet)",
  usage: `haps proof [--out DIR] [--work DIR] [--margins FILE] [--seeds 1,2,3] [--jobs N] [--static-under-router] [--smoke]

  --out DIR       where results.json and report.md go (default: proof/)
  --work DIR      models, data, action-level rows and checkpoints (default: the cache folder's proof/)
  --margins FILE  the pre-registered margins and seeds (default: proof/margins.json)
  --seeds LIST    a development run on other seeds (reported as not judged)
  --jobs N        seed processes at a time (default: one per seed, side by side, each with its own llama.cpp threads;
                  the benchmark and its action-level rows are prepared once before them); 1 runs the seeds in this process
  --smoke         a seconds-long run of the whole path; the margins are reported, not required
  --partial       run the given seeds and keep their results in the work folder (what each seed process of a whole
                  run does); --combine then judges them
  --combine       judge the pre-registered seeds (or --seeds) from their partial runs
  --static-under-router  also train static adapters under HAPS's own router (one more training per seed)

Trains HAPS on the keyword benchmark v2 (known truth; a group whose letter depends on the keyword and a context word,
which no query-independent adapter can answer beyond 3 of 4; a group where the Teacher's model decides; held-out
keyword x code book x phrasing combinations) for each seed, with and without its adapters, trains static adapters
(HAPS's generator with a constant input, the same estimator and budget), and compares every method on the held-out
items at alpha 0, 0.5 and 0.8. The margins and seeds come from proof/margins.json, committed before the run.`,
  run: async (args) => (await import("./runProof.ts")).runProofCommand(args),
};
