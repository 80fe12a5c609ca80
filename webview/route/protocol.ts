// The one message protocol between the extension and the route panel's webview. Every message is declared here as
// a zod schema (its TypeScript type is inferred from it), and each side validates what it receives with
// `parseToRoutePanel` / `parseFromRoutePanel` before using it: a webview is another process and a message may be
// stale, malformed or hostile.
//
// The panel shows a RouteView: one routed episode as the user sees it. The extension builds it from the engine's
// episode events (src/extension/routing/toRouteEvent.ts) and both sides fold events into it with applyRouteEvent.
import { z } from "zod";

const finite = z.number().refine(Number.isFinite, "a finite number");
const count = z.number().int().nonnegative();

export const candidateViewSchema = z.object({
  id: z.string(),
  /** The display name (settings' `name`, else the id). */
  name: z.string(),
  /** Unknown (absent) until the route shows it, for models that come from a file or the embedded defaults. */
  open: z.boolean().optional(),
});

export const assignmentViewSchema = z.object({
  mode: z.enum(["zero-shot", "trained", "fixed"]),
  /** Agent id -> chosen candidate id. */
  choice: z.record(z.string(), z.string()),
  /** Agent id -> candidate id -> probability. */
  probabilities: z.record(z.string(), z.record(z.string(), finite)),
});

export const adapterLayerViewSchema = z.object({
  layer: count,
  rank: count,
  shapeA: z.tuple([count, count]),
  shapeB: z.tuple([count, count]),
  normA: finite,
  normB: finite,
  normUpdate: finite,
  topSingularValues: z.array(finite),
});

export const adapterViewSchema = z.object({
  agent: z.string(),
  candidate: z.string(),
  scale: finite,
  generateMs: finite,
  layers: z.array(adapterLayerViewSchema),
});

/** What a turn decided (the engine's ParsedAction). */
export const actionViewSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("search"), query: z.string() }),
  z.object({ type: z.literal("finish"), answer: z.string() }),
  z.object({ type: z.literal("review"), verdict: z.enum(["continue", "rethink"]), advice: z.string() }),
  z.object({ type: z.literal("choice"), letter: z.string() }),
  z.object({ type: z.literal("decision"), decision: z.enum(["continue", "submit"]), feedback: z.string() }),
  z.object({ type: z.literal("invalid") }),
]);

export const turnViewSchema = z.object({
  index: count,
  role: z.string(),
  modelId: z.string(),
  step: count,
  reasoning: z.string(),
  action: actionViewSchema,
  /** The paragraph a search returned. */
  observation: z.string().optional(),
  formatError: z.string().optional(),
  fallback: z.string().optional(),
  retry: count.optional(),
  promptTokens: count,
  outputTokens: count,
  ms: finite,
});

export const resultViewSchema = z.object({
  answer: z.string(),
  stoppedBecause: z.string(),
  alpha: finite,
  tokens: z.record(z.string(), z.object({ input: count, output: count })),
  /** Candidate id -> price per million tokens in and out. */
  prices: z.record(z.string(), z.object({ input: finite, output: finite })),
  cost: z.object({ total: finite, normalised: finite.nullable() }),
  timings: z.object({ routingMs: finite, totalMs: finite }),
});

/** One episode's progress, in the order the engine streams it. */
export const routeEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("assignment"), assignment: assignmentViewSchema }),
  z.object({ type: z.literal("adapter"), adapter: adapterViewSchema }),
  /** A chunk of what an agent is writing now. */
  z.object({ type: z.literal("text"), role: z.string(), text: z.string() }),
  z.object({ type: z.literal("turn"), turn: turnViewSchema }),
  z.object({ type: z.literal("done"), result: resultViewSchema }),
  z.object({ type: z.literal("error"), message: z.string() }),
]);

export const routeViewSchema = z.object({
  routeId: z.string(),
  question: z.string(),
  /** The cost preference the request was sent with (the report's own alpha arrives with the result). */
  alpha: finite,
  /** Where the models came from: "embedded models", a configuration file, or "settings". */
  source: z.string(),
  candidates: z.array(candidateViewSchema),
  status: z.enum(["running", "done", "stopped", "error"]),
  assignment: assignmentViewSchema.optional(),
  adapters: z.array(adapterViewSchema),
  /** What the agents wrote as it streamed, one entry per stretch of one agent; replaced by `turns` at the end. */
  live: z.array(z.object({ role: z.string(), text: z.string() })),
  turns: z.array(turnViewSchema),
  result: resultViewSchema.optional(),
  error: z.string().optional(),
});

/** What the panel reports it has on screen, read back from its DOM (the extension tests check it). */
export const routeSnapshotSchema = z.object({
  routeId: z.string(),
  status: z.string(),
  question: z.string(),
  alpha: z.string(),
  agents: z.array(z.object({ agent: z.string(), model: z.string(), probability: z.string() })),
  adapterLayers: z.array(
    z.object({ agent: z.string(), layer: z.string(), rank: z.string(), normUpdate: z.string(), singularValues: z.string() }),
  ),
  chartBars: count,
  turns: z.array(z.object({ role: z.string(), action: z.string(), text: z.string() })),
  liveStretches: count,
  answer: z.string(),
  tokens: z.string(),
  cost: z.string(),
  /** <script>, <img>, <iframe> and similar elements inside the panel's content (any would be model text gone HTML). */
  unsafeElements: count,
});

export const toRoutePanelSchema = z.discriminatedUnion("type", [
  /** Replace what the panel shows. */
  z.object({ type: z.literal("show"), view: routeViewSchema }),
  /** Progress of the route shown. */
  z.object({ type: z.literal("event"), routeId: z.string(), event: routeEventSchema }),
]);

export const fromRoutePanelSchema = z.discriminatedUnion("type", [
  /** The script runs and listens; the extension answers with `show`. */
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("rendered"), snapshot: routeSnapshotSchema }),
]);

export type CandidateView = z.infer<typeof candidateViewSchema>;
export type AssignmentView = z.infer<typeof assignmentViewSchema>;
export type AdapterView = z.infer<typeof adapterViewSchema>;
export type AdapterLayerView = z.infer<typeof adapterLayerViewSchema>;
export type ActionView = z.infer<typeof actionViewSchema>;
export type TurnView = z.infer<typeof turnViewSchema>;
export type ResultView = z.infer<typeof resultViewSchema>;
export type RouteEvent = z.infer<typeof routeEventSchema>;
export type RouteView = z.infer<typeof routeViewSchema>;
export type RouteSnapshot = z.infer<typeof routeSnapshotSchema>;
export type ToRoutePanel = z.infer<typeof toRoutePanelSchema>;
export type FromRoutePanel = z.infer<typeof fromRoutePanelSchema>;

/** The message, or an error that names what is wrong with it. */
export function parseToRoutePanel(data: unknown): ToRoutePanel {
  return parseMessage(toRoutePanelSchema, data, "route panel message");
}

export function parseFromRoutePanel(data: unknown): FromRoutePanel {
  return parseMessage(fromRoutePanelSchema, data, "message from the route panel");
}

export function parseMessage<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 3).map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  throw new Error(`invalid ${what}: ${problems.join("; ")}`);
}
