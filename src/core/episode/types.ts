// Plain data in and out of one routed episode (serialisable: it crosses the engine's process boundary as is).
import type { LoraLayerStats } from "../adapters/adapterStats.ts";
import type { Paragraph } from "../data/TaskItem.ts";
import type { AgentRole, StopReason, TokenCount, Turn } from "../protocols/types.ts";
import type { Assignment } from "../router/Assignment.ts";
import type { RoutingPrompt } from "../router/RoutingPrompt.ts";

export interface EpisodeRequest {
  /** An id to carry through to the report (a dataset item's id). */
  id?: string;
  question: string;
  /** Paragraphs to search (search QA). */
  context?: Paragraph[];
  /** Answer options (multiple choice); their presence selects that protocol. */
  choices?: string[];
  /** Reference answer: free text, or the letter for multiple choice. When given, the report is scored. */
  gold?: string;
  /** Cost preference for this query. Defaults to the configuration's alpha. */
  alpha?: number;
}

/** The high-level router's input for one query (see HapsPipeline.prepare). */
export interface PreparedQuery {
  request: EpisodeRequest;
  task: "search-qa" | "multiple-choice";
  /** The four-part routing prompt, its fixed prefix and the query's own part. */
  routing: RoutingPrompt;
  /** The same as one text. */
  routingPrompt: string;
  /** The backbone feature: the router LLM's pooled hidden state of the routing prompt. */
  feature: Float32Array;
  /** Time taken to compute the feature. */
  featureMs: number;
}

export interface AdapterLayerReport extends LoraLayerStats {
  inWidth: number;
  outWidth: number;
  shapeA: [number, number];
  shapeB: [number, number];
}

/** The adapter generated for one agent's model for this query. */
export interface AdapterReport {
  agent: AgentRole;
  candidate: string;
  /** The LoRA scale it was attached with. */
  scale: number;
  /** Time the generator took to produce A and B. */
  generateMs: number;
  layers: AdapterLayerReport[];
}

export interface EpisodeReport {
  id?: string;
  task: "search-qa" | "multiple-choice";
  alpha: number;
  routingPrompt: string;
  assignment: Assignment;
  adapters: AdapterReport[];
  transcript: Turn[];
  answer: string;
  stoppedBecause: StopReason;
  /** Per candidate id: tokens in and out over every generation. */
  tokens: Record<string, TokenCount>;
  cost: {
    /** Price of the episode's tokens, in the configuration's currency. */
    total: number;
    /** Min-max normalised with the training split's statistics stored in the checkpoint; null without them. */
    normalised: number | null;
    pricesPerMillion: Record<string, { input: number; output: number }>;
  };
  /** Present when the request had a reference answer. */
  metrics: { exactMatch: number; f1: number } | { correct: number } | null;
  /** routingMs: the backbone feature plus the routing decision. */
  timings: { routingMs: number; totalMs: number };
}

/** What an episode streams while it runs. */
export type EpisodeEvent =
  | { type: "assignment"; assignment: Assignment }
  | { type: "adapter"; adapter: AdapterReport }
  | { type: "text"; role: AgentRole; text: string }
  | { type: "turn"; turn: Turn }
  | { type: "done"; report: EpisodeReport };
