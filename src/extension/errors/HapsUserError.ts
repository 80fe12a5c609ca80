// An error a person can act on: a message that says what is wrong and where, and buttons that lead to the fix.
import type { ChatAction } from "../../../webview/chat/protocol.ts";

export type HapsAction = ChatAction;

export const ACTIONS = {
  selectModels: { title: "Select Models", command: "haps.selectModels" },
  openSettings: { title: "Open Settings", command: "haps.openSettings" },
  restartEngine: { title: "Restart Engine", command: "haps.restartEngine" },
  showLog: { title: "Show Log", command: "haps.showLog" },
} as const satisfies Record<string, HapsAction>;

export class HapsUserError extends Error {
  override name = "HapsUserError";
  constructor(
    message: string,
    readonly actions: HapsAction[],
  ) {
    super(message);
  }
}
