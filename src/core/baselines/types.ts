/**
 * The common ground of the baseline routers: what they route between (an assignment space), what they learn from
 * (routing examples: the paper's action-level data, one exhaustive run of every assignment per item, no adapters) and
 * what they must do (fit, then choose one assignment per item). Every baseline decides from precomputed data only.
 *
 * Two agents (Teacher, Student) with M candidates give M^2 assignments. The originals route one query to one of K
 * models; every baseline here treats each assignment as one of its "models" (an arm), so an original's model table,
 * ability vector or graph node becomes one per assignment. Each module's header says what else it adapted.
 */
import type { TokenPrice } from "../metrics/cost/episodeCost.ts";
import type { Rng } from "../nn/Rng.ts";
import type { CheckpointSelection } from "./rewardCheckpoints.ts";

/** A model that can be assigned to an agent. */
export interface BaselineCandidate {
  /** Model id, as the engine names it. */
  id: string;
  /** Price per million tokens, input and output (what the normalised costs were computed from). */
  price: TokenPrice;
  /** One line of text describing the model (GraphRouter's and IRT-Router's model profile), e.g. "Qwen2.5-14B: ...". */
  descriptor: string;
}

/** One assignment: a candidate per agent. */
export interface AssignmentOption {
  /** Candidate index per agent, in the order of `AssignmentSpace.agents`. */
  choices: readonly number[];
  /** Short label, e.g. "teacher=qwen-14b, student=llama-8b". */
  label: string;
  /** Text describing the configuration (the agents' roles and their models' descriptors): what the caller embeds. */
  descriptor: string;
  /**
   * Embedding of `descriptor`, from the same embedding model as the items' task descriptions. Required by
   * GraphRouter (the LLM node's features) and IRT-Router (the model profile); the others ignore it. Defaults to none.
   */
  embedding?: Float32Array;
}

/** The agents, their candidates, and all M^N assignments in a fixed order (agent 0's choice varies slowest). */
export interface AssignmentSpace {
  /** Agent names, e.g. `["teacher", "student"]`. */
  agents: readonly string[];
  candidates: readonly BaselineCandidate[];
  assignments: readonly AssignmentOption[];
}

/** One item of a split with the observed outcome of every assignment. */
export interface RoutingExample {
  /** The item's id (TaskItem.id); names the item in errors and seeds per-item randomness. */
  id: string;
  /** The query text the router sees. */
  query: string;
  /**
   * Query embedding. The caller decides where it comes from (the router LLM's pooled feature or an embedding model);
   * every example of a run must have the same width.
   */
  embedding: Float32Array;
  /**
   * Embedding of the item's task description (GraphRouter puts it into the query node). Either every example has
   * one, of one width, or none has; defaults to none, which makes all items one task.
   */
  taskEmbedding?: Float32Array;
  /** Observed quality of each assignment (task metric: F1 or 0/1, in [0, 1]), indexed like `AssignmentSpace.assignments`. */
  quality: readonly number[];
  /**
   * Normalised cost of each assignment: min-max normalised with the training split's statistics and clamped to
   * [0, 1] (metrics/cost/CostNormalizer.ts), so it lies in [0, 1] on every split. The paper leaves the scale unclamped
   * (a cost beyond the training range maps beyond 1); the clamp is this project's choice: one unusually costly episode
   * cannot outweigh the performance term of the reward, and a failed item's cost 1 stays the worst cost there is.
   */
  cost: readonly number[];
}

export interface BaselineFitOptions {
  /** Source of all randomness in fitting (initial weights, shuffles, masks, noise); the same seed gives the same router. */
  rng: Rng;
  /**
   * The cost preferences `choose` will be asked for. Methods that train one model per preference (GraphRouter)
   * train one for each; the others ignore this. Defaults to `[0]`.
   */
  alphas?: readonly number[];
}

/** A fitted router that picks one assignment per item. */
export interface Baseline {
  /** Name for tables, e.g. "RouteLLM (MF)". */
  readonly name: string;
  /** Whether `alpha` changes its decisions. A method that cannot weigh cost ignores alpha. */
  readonly weighsCost: boolean;
  /**
   * Learns from the training split; `valid` serves model selection or threshold calibration where the method has
   * such a step (never the test split). Must be called before `choose`.
   */
  fit(train: readonly RoutingExample[], valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void;
  /**
   * The index (into `space.assignments`) of the assignment for this item under cost preference `alpha`, i.e. for
   * reward = quality - alpha * cost. Only the Oracle reads the item's observed quality and cost.
   */
  choose(example: RoutingExample, alpha: number): number;
  /**
   * For a method trained in epochs: the checkpoint it kept per cost preference (best validation reward at that alpha,
   * rewardCheckpoints.ts) and the recorded curve; null or absent for the others.
   */
  checkpointSelection?(): CheckpointSelection | null;
}
