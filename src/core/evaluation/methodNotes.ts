// One paragraph per method for the report: what the original does and how this project adapted it to two agents.
// Short forms of the module headers in src/core/baselines (the full account, with the original's hyperparameters) and
// of the evaluation's own choices; each names its module so a reader can check the details there.
import type { MethodKind } from "./types.ts";

export const METHOD_NOTES: Record<MethodKind, string> = {
  haps:
    "HAPS (src/core/router, src/core/training): the high-level head over the router LLM's feature picks a candidate per agent, the low-level generators produce a LoRA adapter per query for each open chosen model; warm-up on the action-level data, then joint RL. Trained once per seed at the training alpha; the head takes alpha at query time (pi ~ softmax((Q - alpha C) / T)), so each cost regime evaluates the same trained router at its alpha. Scored from new episodes with its generated adapters.",
  random:
    "Random (baselines/RandomBaseline.ts): every item gets a uniformly drawn assignment (each agent's model independent), keyed by the seed and the item id; it ignores alpha. Scored from the action rows.",
  fixed:
    "Fixed (baselines/FixedBaseline.ts): the same model per agent for every item (All Weak, All Strong and the mixed pairs); it ignores alpha. Scored from the action rows.",
  oracle:
    "Oracle (baselines/OracleBaseline.ts): per item, the assignment whose observed outcome has the best reward at the regime's alpha (ties to the cheaper). It reads the test items' own outcomes, so it is an upper bound on routing without adapters, not a contender; it is never marked best.",
  routellm:
    "RouteLLM MF (baselines/RouteLlmMfRouter.ts): the original scores a query embedding against learned model embeddings and sends the query to the model predicted to win (binary: strong iff the win probability reaches a calibrated threshold). Adapted: each assignment is one 'model'; battles come from the training items' action rows (higher quality wins, ties dropped); an item goes to the assignment with the highest predicted win rate against the others (argmax over all assignments); at alpha > 0 the rule is argmax win rate - lambda x mean training cost, lambda chosen on validation reward at that alpha. Within its training, the checkpoint with the best validation reward at each cost regime's alpha is kept (baselines/rewardCheckpoints.ts; the original selects on its loss).",
  "routellm-pair":
    "RouteLLM MF, strong/weak (baselines/RouteLlmMfRouter.ts, routing 'pair'): the same model in the original's binary form, between the costliest (strong) and the cheapest (weak) assignment; at alpha 0 the threshold is fixed (0.5 unless set), at alpha > 0 it is the one with the best validation reward. Its checkpoint is kept as RouteLLM MF's. Its threshold sweep is the RouteLLM-style curve.",
  graphrouter:
    "GraphRouter (baselines/GraphRouter.ts): the original predicts query-LLM edges in a heterogeneous graph whose LLM nodes come from text descriptors. Adapted: the LLM nodes are the assignments (descriptor: every agent's role and model description); edges carry each training item's observed quality and normalised cost; one network per cost regime, with the utility (1, alpha)/(1 + alpha), which is Performance First at alpha 0. Default step size 3e-3 and 400 epochs (the original's 3e-4 for 1000 epochs under-trains four LLM nodes; see the module header). After every epoch the weights with the best validation reward at the network's alpha are kept (the original keeps the best validation macro-F1).",
  irt:
    "IRT-Router, MIRT (baselines/IrtRouter.ts): the original predicts P(model answers query) from query difficulty and discrimination (from the query embedding) and a model ability vector (from the model's profile text), with a cold-start warm-up from the nearest training queries. Adapted: one ability vector per assignment (from its descriptor embedding); the cost term is removed at alpha 0, as the paper's main table does, and kept in the cost regimes (weight 1/(1 + alpha)) with each assignment's mean normalised training cost. Within its training, the checkpoint with the best validation reward at each cost regime's alpha is kept (baselines/rewardCheckpoints.ts; the original selects on its loss).",
  knn:
    "kNN router (baselines/KnnRouter.ts): per item, the assignment with the best mean observed reward quality - alpha * cost over its k most similar training items (cosine of the standardised routing feature); k chosen on the validation items. The sanity baseline routing evaluations expect: a learned router that does worse has not used the signal the feature holds.",
  mlp:
    "MLP router (baselines/MlpRouter.ts): one hidden layer regresses each assignment's observed quality and normalised cost from the standardised routing feature (MSE, Adam), then picks argmax Q - alpha C, the decision rule of HAPS's joint head without adapters or RL. Within its training, the checkpoint with the best validation reward at each cost regime's alpha is kept (baselines/rewardCheckpoints.ts).",
  "static-adapter":
    "Static adapter (baselines/StaticAdapter.ts): one query-independent LoRA adapter per open candidate - HAPS's own generator fed one constant feature (the training items' mean), with HAPS's estimator (antithetic Gaussian exploration on B, SGD, |B| penalty), RL settings, budget and best-validation rule. Trained twice per seed at the training alpha: under HAPS's trained router (which then decides at each regime's alpha), and on the best fixed assignment at the training alpha (chosen on the training rows, ties to the cheaper). Scored from new episodes with the static adapters.",
  "no-high-level":
    "Without the high-level router: a random assignment (the Random baseline's draws) or each fixed assignment, with the trained HAPS generators' adapters for the chosen open models. Scored from new episodes (the episodes HAPS also ran for an item and assignment are shared: decoding is greedy, so they are the same episode).",
  "no-low-level":
    "Without the low-level router: the same training with no adapters in RL (rl.adapters false, as the proof's ablation); its head's choices are scored from the action rows.",
  "no-sharing":
    "Without parameter sharing: HAPS trained with generator.shareTrunk false (the head and each generator get private copies of the trunk that start from the same weights). Scored from new episodes.",
  depth:
    "LoRA depth k: HAPS trained with adapters on the o_proj of the last k layers (generator.lastLayers k); the configuration's own depth is the HAPS run itself. Scored from new episodes.",
};

/** How the descriptor embeddings that GraphRouter and IRT-Router read were made (the report states it). */
export const DESCRIPTOR_NOTE =
  "GraphRouter's LLM nodes and IRT-Router's model profiles are the embeddings of the assignments' descriptors (each agent's role and its model's description) by the router LLM (runtime.embed, the configuration's pooling), followed by a one-hot identity of the assignment. The identity is ours: the originals' profiles differ because their texts do; a router LLM that gives two descriptor texts the same vector would otherwise make the methods unable to tell those configurations apart, for a reason that has nothing to do with the methods.";
