// The sidebar chat in a real VS Code: the view is opened, driven through its own Send and Stop buttons, and reports
// back what it shows. Stop must cancel the generation in the engine, leaving it idle. Code blocks are highlighted
// and their buttons reach the clipboard, the editor and a new file; the selection and `#file:` attachments are what
// the answer searches, and the view says so.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { ChatSnapshot } from "../../../webview/chat/protocol.ts";
import { hapsApi, sleep, waitFor, withSettings } from "./helpers.ts";

const lastAnswer = (s: ChatSnapshot) => s.messages.filter((m) => m.role === "assistant").at(-1);

/** Polls `check` until it holds; the error says what it was waiting for and what it saw last. */
async function until(check: () => boolean | Promise<boolean>, what: string, seen: () => string = () => "", timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${seen()}`);
    await sleep(100);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);
}

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

  it("highlights a fenced code block and its Copy, Insert at Cursor and New File buttons do what they say", async () => {
    const api = await hapsApi();
    const code = "const answer: number = 42;\nfunction twice(x: number) { return 2 * x; }";
    // A question with code pasted in a fence: shown as Markdown, the block highlighted and with its buttons.
    api.chat.automate("send", `What does this do?\n\`\`\`ts\n${code}\n\`\`\``);
    const shown = await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => s.codeBlocks.length > 0, "the code block");
    const block = shown.codeBlocks.at(-1)!;
    const index = shown.codeBlocks.length - 1;
    assert.equal(block.language, "ts");
    assert.equal(block.code.trimEnd(), code);
    assert.ok(block.highlightedTokens >= 6, `keywords, types, numbers and names are coloured: ${block.highlightedTokens} tokens`);
    assert.deepEqual(block.buttons, ["Copy", "Insert at Cursor", "New File"]);
    assert.equal(shown.unsafeElements, 0);
    await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => !s.busy, "the answer to end", 90_000);

    await vscode.env.clipboard.writeText("something else");
    api.chat.automate("copy", undefined, index);
    await until(async () => (await vscode.env.clipboard.readText()) === code, "the clipboard to hold the code");

    const dir = mkdtempSync(join(tmpdir(), "haps-chat-code-"));
    writeFileSync(join(dir, "target.ts"), "// before\n// after\n");
    const target = await vscode.workspace.openTextDocument(join(dir, "target.ts"));
    const editor = await vscode.window.showTextDocument(target);
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    api.chat.automate("insert", undefined, index);
    // A block of several lines goes in as whole lines: it ends with a line break before "// after".
    await until(() => target.getText() === `// before\n${code}\n// after\n`, "the code inserted at the cursor", () => JSON.stringify(target.getText()));
    // In the middle of a line it starts on a line of its own too.
    editor.selection = new vscode.Selection(0, 3, 0, 3);
    api.chat.automate("insert", undefined, index);
    await until(() => target.getText() === `// \n${code}\nbefore\n${code}\n// after\n`, "the code inserted mid-line", () => JSON.stringify(target.getText()));

    const opened = new Promise<vscode.TextDocument>((resolve) => {
      const sub = vscode.workspace.onDidOpenTextDocument((d) => {
        if (d.isUntitled && d.getText() === code) {
          sub.dispose();
          resolve(d);
        }
      });
    });
    api.chat.automate("newFile", undefined, index);
    const created = await withTimeout(opened, 20_000, "a new file with the code");
    assert.equal(created.languageId, "typescript");
    await until(() => vscode.window.activeTextEditor?.document === created, "the new file to be shown");
    // Leave nothing unsaved behind (a "Save?" dialog would block the next tests).
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await target.save();
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("answers over the selection and the open editors, refuses a #file outside the workspace folders by name, and says what it searched", async () => {
    const api = await hapsApi();
    const dir = mkdtempSync(join(tmpdir(), "haps-chat-context-"));
    const notes = join(dir, "notes.md");
    writeFileSync(notes, "The Seine\nThe Seine flows through Paris.\n\nLyon\nThe Rhone flows through Lyon.\n");
    writeFileSync(join(dir, "open.txt"), "line one\nthe river question\nline three\n");
    const source = await vscode.workspace.openTextDocument(join(dir, "open.txt"));
    const editor = await vscode.window.showTextDocument(source);
    editor.selection = new vscode.Selection(1, 0, 1, 18);
    await vscode.commands.executeCommand("haps.chat.focus");
    api.chat.automate("send", `Which river is in #file:${notes} ?`);
    const done = await waitFor(
      api.chat.onDidRender,
      api.chat.lastSnapshot,
      (s) => !s.busy && lastAnswer(s)?.state !== "streaming" && (lastAnswer(s)?.context ?? "") !== "",
      "the answer with its context line",
      90_000,
    );
    const context = lastAnswer(done)!.context;
    assert.match(context, /^Searched: selection in \S*open\.txt:2-2, /);
    // This window has no workspace folder: a #file path (here one in the temporary folder) is not read, and the
    // answer names it and says why. (test/vscode/workspace reads files inside a workspace folder.)
    assert.ok(context.includes(`left out: ${notes} (no workspace folder is open, and #file reads only files inside the workspace folders)`), context);
    const stored = api.chat.conversation().at(-1)!;
    assert.ok(!stored.context!.used.some((u) => u.endsWith("notes.md")), JSON.stringify(stored.context));
    assert.ok(stored.context!.used.some((u) => u.endsWith("open.txt") && !u.startsWith("selection")), "the open editor is searched too");
    const query = api.lastRouteQuery()!;
    assert.equal(query.question, "Which river is in ?", "the tag is cut from the question");
    const titles = query.context!.map((p) => p.title);
    assert.ok(titles.some((t) => /^selection in \S*open\.txt:2-2 \(line 2\)$/.test(t)), JSON.stringify(titles));
    assert.ok(!query.context!.some((p) => p.sentences.join("").includes("Rhone")), "nothing of the refused file reaches the agents");

    // haps.chat.editorContext off: neither the selection nor the open editors are read, and the answer says so.
    await withSettings({ "chat.editorContext": false }, async () => {
      await vscode.commands.executeCommand("haps.chat.focus");
      api.chat.automate("send", "Which river again?");
      const off = await waitFor(
        api.chat.onDidRender,
        api.chat.lastSnapshot,
        (s) => !s.busy && lastAnswer(s)?.state !== "streaming" && /haps\.chat\.editorContext is off/.test(lastAnswer(s)?.context ?? ""),
        "the answer without the editors",
        90_000,
      );
      assert.match(lastAnswer(off)!.context, /^No workspace context · left out: the selection and the open editors \(haps\.chat\.editorContext is off\)/);
      assert.ok(!api.lastRouteQuery()!.context!.some((p) => /open\.txt/.test(p.title)), "no paragraph of the open editor");
    });
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");

    // A tag naming no file is reported as left out (here: no folder to look in), and the question is still answered.
    await vscode.commands.executeCommand("haps.chat.focus");
    api.chat.automate("send", "Anything in #file:no/such/file.txt ?");
    const missing = await waitFor(
      api.chat.onDidRender,
      api.chat.lastSnapshot,
      (s) => !s.busy && /left out: no\/such\/file\.txt \(no workspace folder is open, and #file reads only files inside the workspace folders\)/.test(lastAnswer(s)?.context ?? ""),
      "the missing file to be reported",
      90_000,
    );
    assert.notEqual(lastAnswer(missing)!.state, "error");
  });

  it("New Chat clears the conversation", async () => {
    const api = await hapsApi();
    await vscode.commands.executeCommand("haps.chat.clear");
    await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => s.messages.length === 0, "an empty conversation");
    assert.equal(api.chat.conversation().length, 0);
  });
});
