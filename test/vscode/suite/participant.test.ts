// @haps in VS Code's Chat view. The Chat view itself cannot be driven here (its AI features are off in the test
// instance and need an account), so the participant's own handler runs with a stream that records what it was
// given; the route behind it is real.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import { hapsApi } from "./helpers.ts";

describe("@haps chat participant", () => {
  it("is registered where VS Code offers chat participants", async () => {
    const api = await hapsApi();
    const available = typeof (vscode as { chat?: { createChatParticipant?: unknown } }).chat?.createChatParticipant === "function";
    assert.equal(api.chatParticipantRegistered, available);
  });

  it("streams the routing, the agents' text and the answer as Markdown, with a button to the route panel", async () => {
    const api = await hapsApi();
    const parts: string[] = [];
    const buttons: vscode.Command[] = [];
    const stream = {
      markdown: (value: string | vscode.MarkdownString) => void parts.push(typeof value === "string" ? value : value.value),
      progress: () => undefined,
      button: (command: vscode.Command) => void buttons.push(command),
    };
    const source = new vscode.CancellationTokenSource();
    const result = await api.answerChat("Which river flows through Paris? `<script>`", stream, source.token);
    const markdown = parts.join("");
    assert.equal(result.errorDetails, undefined);
    assert.match(markdown, /^Routing \(zero-shot, α 0\.00\):\n- \*\*teacher\*\* → /);
    assert.match(markdown, /\*\*student\*\*\n```text\n/);
    assert.equal((markdown.match(/```/g) ?? []).length % 2, 0, "every fence is closed");
    assert.match(markdown, /\*\*Answer:\*\* /);
    const metadata = result.metadata as { answer: string; routeId: string };
    assert.equal(typeof metadata.answer, "string");
    assert.deepEqual(buttons.map((b) => [b.command, b.arguments]), [["haps.openRoutePanel", [metadata.routeId]]]);
  });

  it("cancellation stops the route", async () => {
    const api = await hapsApi();
    const source = new vscode.CancellationTokenSource();
    let markdown = "";
    const stream = {
      markdown: (value: string | vscode.MarkdownString) => {
        markdown += typeof value === "string" ? value : value.value;
        if (markdown.length > 200) source.cancel();
      },
      progress: () => undefined,
      button: () => undefined,
    };
    const result = await api.answerChat("Which river flows through Paris?", stream, source.token);
    assert.equal(result.errorDetails, undefined);
    assert.ok(source.token.isCancellationRequested);
    assert.match(markdown, /\*\*Stopped\.\*\* /);
    assert.equal(api.engineActiveRequests(), 0, "the engine is idle");
  });
});
