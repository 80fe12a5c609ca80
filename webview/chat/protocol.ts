// The one message protocol between the extension and the sidebar chat's webview; as for the route panel, every
// message is a zod schema and each side validates what it receives before using it.
import { z } from "zod";
import { parseMessage } from "../route/protocol.ts";

const count = z.number().int().nonnegative();

/** Commands an error in the chat may offer as a button; nothing else can be run from the webview. */
export const CHAT_ACTION_COMMANDS = ["haps.selectModels", "haps.openSettings", "haps.restartEngine", "haps.showLog", "haps.downloadStarterModels"] as const;

export const chatActionSchema = z.object({ title: z.string(), command: z.enum(CHAT_ACTION_COMMANDS) });

/** The compact route badge of an answer: who served each agent, with or without an adapter, tokens and cost. */
export const routeBadgeSchema = z.object({
  agents: z.array(z.object({ agent: z.string(), model: z.string(), adapter: z.boolean() })),
  tokens: z.object({ input: count, output: count }),
  /** Already formatted, in the configuration's currency. */
  cost: z.string(),
});

export const chatMessageSchema = z.object({
  id: z.string(),
  role: z.enum(["user", "assistant"]),
  /** The question, or the final answer (shown through the sanitising Markdown renderer). */
  text: z.string(),
  state: z.enum(["streaming", "done", "stopped", "error"]),
  /** What the agents wrote while the answer was worked out, one entry per stretch of one agent. */
  live: z.array(z.object({ role: z.string(), text: z.string() })),
  /** The route behind an answer: the badge opens the route panel on it. */
  routeId: z.string().optional(),
  badge: routeBadgeSchema.optional(),
  error: z.object({ message: z.string(), actions: z.array(chatActionSchema) }).optional(),
  /** The workspace context the answer was given (selection, attached files, open editors) and what did not fit. */
  context: z.object({ used: z.array(z.string()), leftOut: z.array(z.object({ label: z.string(), reason: z.string() })) }).optional(),
});

/** The buttons on a code block in an answer (or a question): what the extension does with the block's code. */
export const CODE_ACTIONS = ["copy", "insert", "newFile"] as const;
export type CodeAction = (typeof CODE_ACTIONS)[number];

/** What the chat reports it has on screen, read back from its DOM (the extension tests check it). */
export const chatSnapshotSchema = z.object({
  messages: z.array(
    z.object({ role: z.string(), state: z.string(), text: z.string(), live: z.string(), badge: z.string(), context: z.string() }),
  ),
  /** Every code block on screen: its language, how many highlighted tokens it shows, its buttons' accessible names. */
  codeBlocks: z.array(z.object({ language: z.string(), highlightedTokens: count, buttons: z.array(z.string()), code: z.string() })),
  busy: z.boolean(),
  sendEnabled: z.boolean(),
  stopEnabled: z.boolean(),
  unsafeElements: count,
  /** The models line above the conversation (which models answer). */
  models: z.string(),
});

export const toChatSchema = z.discriminatedUnion("type", [
  /** Everything, after the view (re)loads. */
  z.object({ type: z.literal("restore"), messages: z.array(chatMessageSchema), busy: z.boolean() }),
  /** Adds a message, or replaces the one with the same id. */
  z.object({ type: z.literal("message"), message: chatMessageSchema }),
  /** A chunk of what an agent is writing for the answer `id`. */
  z.object({ type: z.literal("progress"), id: z.string(), role: z.string(), text: z.string() }),
  z.object({ type: z.literal("busy"), busy: z.boolean() }),
  /** Which models answer: the embedded ones (shown with what they are for and how to set real ones) or configured ones. */
  z.object({ type: z.literal("models"), embedded: z.boolean(), label: z.string(), detail: z.string().optional() }),
  /**
   * Extension tests only (the page honours it when the extension runs its tests): use the view's own controls,
   * as a person would - type and press Send, press Stop, click the last answer's route badge, or press a button
   * of the code block `block` (0 = the first on screen).
   */
  z.object({
    type: z.literal("automate"),
    action: z.enum(["send", "stop", "openRoute", ...CODE_ACTIONS]),
    text: z.string().optional(),
    block: count.optional(),
  }),
]);

export const fromChatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("send"), text: z.string().trim().min(1).max(8000) }),
  z.object({ type: z.literal("stop") }),
  z.object({ type: z.literal("openRoute"), routeId: z.string() }),
  z.object({ type: z.literal("runAction"), command: z.enum(CHAT_ACTION_COMMANDS) }),
  z.object({ type: z.literal("rendered"), snapshot: chatSnapshotSchema }),
  /** A code block's button: copy its code, insert it at the cursor of the last editor, or open it as a new file. */
  z.object({ type: z.literal("codeAction"), action: z.enum(CODE_ACTIONS), code: z.string().max(1_000_000), language: z.string().max(64) }),
]);

export type ChatAction = z.infer<typeof chatActionSchema>;
export type RouteBadge = z.infer<typeof routeBadgeSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatSnapshot = z.infer<typeof chatSnapshotSchema>;
export type ChatAutomation = Extract<ToChat, { type: "automate" }>["action"];
export type ToChat = z.infer<typeof toChatSchema>;
export type FromChat = z.infer<typeof fromChatSchema>;

export function parseToChat(data: unknown): ToChat {
  return parseMessage(toChatSchema, data, "chat message");
}

export function parseFromChat(data: unknown): FromChat {
  return parseMessage(fromChatSchema, data, "message from the chat view");
}
