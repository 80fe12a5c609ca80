// The sidebar chat in a real VS Code: the view is opened, driven through its own Send and Stop buttons, and reports
// back what it shows. Stop must cancel the generation in the engine, leaving it idle.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { ChatSnapshot } from "../../../webview/chat/protocol.ts";
import { hapsApi, sleep, waitFor } from "./helpers.ts";

const lastAnswer = (s: ChatSnapshot) => s.messages.filter((m) => m.role === "assistant").at(-1);

describe("Sidebar chat", () => {
  before(async () => {
    const api = await hapsApi();
    await vscode.commands.executeCommand("haps.chat.focus");
    await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => s.sendEnabled && !s.stopEnabled, "the chat view to load");
  });

  it("streams an answer and ends it with the route badge", async () => {
    const api = await hapsApi();
    const question = "Which river flows through Paris?";
    api.chat.automate("send", question);
    const streaming = await waitFor(
      api.chat.onDidRender,
      api.chat.lastSnapshot,
      (s) => lastAnswer(s)?.state === "streaming" && lastAnswer(s)!.live.length > 0,
      "the answer to start streaming",
    );
    assert.equal(streaming.busy, true);
    assert.equal(streaming.stopEnabled, true);
    assert.equal(streaming.sendEnabled, false);
    assert.equal(streaming.messages.at(-2)?.text, question, "the question is shown");
    const firstLength = lastAnswer(streaming)!.live.length;

    const done = await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => lastAnswer(s)?.state === "done" && !s.busy, "the answer to finish", 90_000);
    const answer = lastAnswer(done)!;
    assert.ok(answer.live.length > firstLength, "more text arrived after the first render: it streamed");
    assert.match(answer.badge, /Student: \S+ \+LoRA · Teacher: \S+ \+LoRA · \d+ tokens · cost \S+/);
    assert.equal(done.sendEnabled, true);
    assert.equal(done.stopEnabled, false);
    assert.equal(done.unsafeElements, 0);
    assert.equal(api.engineActiveRequests(), 0);

    // The badge opens the route panel on this answer's route.
    api.chat.automate("openRoute");
    const panel = await waitFor(
      api.routePanel.onDidRender,
      api.routePanel.lastSnapshot,
      (s) => s.question === question && s.status === "done",
      "the route panel to show the answer's route",
    );
    assert.equal(panel.routeId, api.routePanel.shownRouteId());
    assert.ok(panel.agents.every((a) => answer.badge.includes(a.model)), "the badge and the panel name the same models");
  });

  it("the Stop button cancels the generation in the engine, which is idle afterwards", async () => {
    const api = await hapsApi();
    api.chat.automate("send", "And which sea does that river flow into?");
    // Stop once the agents are writing: the generation is running inside llama.cpp. The engine's own count is read
    // when the view's report arrives (the view can lag behind the engine on a loaded machine).
    await waitFor(
      api.chat.onDidRender,
      api.chat.lastSnapshot,
      (s) => s.busy && (lastAnswer(s)?.live.length ?? 0) > 0 && api.engineActiveRequests() >= 1,
      "the second answer to stream while the engine works on it",
    );
    api.chat.automate("stop");
    const stopped = await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => !s.busy && lastAnswer(s)?.state !== "streaming", "the answer to stop", 30_000);
    assert.equal(lastAnswer(stopped)!.state, "stopped");
    assert.equal(api.engineActiveRequests(), 0, "no request left running in the engine");
    // Nothing more streams in after the stop.
    const liveAfterStop = lastAnswer(stopped)!.live;
    await sleep(1500);
    assert.equal(lastAnswer(api.chat.lastSnapshot()!)!.live, liveAfterStop);
    assert.equal(stopped.sendEnabled, true);
  });

  it("shows a question containing <script> and <img onerror> as text", async () => {
    const api = await hapsApi();
    const payload = `<script>document.title="pwned"</script><img src=x onerror="document.title='pwned'">`;
    api.chat.automate("send", payload);
    const shown = await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => s.messages.some((m) => m.role === "user" && m.text === payload), "the question");
    assert.equal(shown.unsafeElements, 0);
    await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => !s.busy, "the answer to end", 90_000);
    assert.equal(api.chat.lastSnapshot()!.unsafeElements, 0);
  });

  it("New Chat clears the conversation", async () => {
    const api = await hapsApi();
    await vscode.commands.executeCommand("haps.chat.clear");
    await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => s.messages.length === 0, "an empty conversation");
  });
});
