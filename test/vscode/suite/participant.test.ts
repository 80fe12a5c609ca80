// @haps in VS Code's Chat view. The Chat view itself cannot be driven here (its AI features are off in the test
// instance and need an account), so the participant's own handler runs with a stream that records what it was
// given; the route behind it is real.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    // Open editors (if a test left any) come first as the context note.
    assert.match(markdown, /^(Context: [^\n]*\n\n)?Routing \(zero-shot, α 0\.00\):\n- \*\*teacher\*\* → /);
    assert.match(markdown, /\*\*student\*\*\n```text\n/);
    assert.equal((markdown.match(/```/g) ?? []).length % 2, 0, "every fence is closed");
    assert.match(markdown, /\*\*Answer:\*\* /);
    const metadata = result.metadata as { answer: string; routeId: string };
    assert.equal(typeof metadata.answer, "string");
    assert.deepEqual(buttons.map((b) => [b.command, b.arguments]), [["haps.openRoutePanel", [metadata.routeId]]]);
  });

  it("searches the documents and ranges attached to the request, refuses attached files outside the workspace folders, and cuts their mentions from the question", async () => {
    const api = await hapsApi();
    // This window has no workspace folder, so no file on disk may be read (attachmentRefusal); an untitled document of
    // this window may.
    const dir = mkdtempSync(join(tmpdir(), "haps-participant-"));
    const outside = join(dir, "secret.txt");
    writeFileSync(outside, "Loire\nA secret outside the workspace.\n");
    const document = await vscode.workspace.openTextDocument({ content: "Seine\nThe Seine flows through Paris.\n\nRhone\nThe Rhone flows through Lyon.\n" });
    const mention = "#file:rivers.txt";
    const prompt = `Which river flows through Paris? ${mention}`;
    const start = prompt.indexOf(mention);
    const references: vscode.ChatPromptReference[] = [
      { id: "vscode.file", value: document.uri, range: [start, start + mention.length], modelDescription: undefined },
      { id: "vscode.location", value: new vscode.Location(document.uri, new vscode.Range(3, 0, 5, 0)), modelDescription: undefined },
      { id: "vscode.file", value: vscode.Uri.file(outside), modelDescription: undefined },
      { id: "vscode.location", value: new vscode.Location(vscode.Uri.file(outside), new vscode.Range(0, 0, 1, 0)), modelDescription: undefined },
      { id: "some.tool", value: 42, modelDescription: "a tool result" },
    ];
    const parts: string[] = [];
    const stream = {
      markdown: (value: string | vscode.MarkdownString) => void parts.push(typeof value === "string" ? value : value.value),
      progress: () => undefined,
      button: () => undefined,
    };
    try {
      const result = await api.answerChat(prompt, stream, new vscode.CancellationTokenSource().token, references);
      assert.equal(result.errorDetails, undefined);
      const markdown = parts.join("");
      // The note is Markdown-escaped text: the document by its name, the range with its lines, what was not read.
      const name = document.uri.path;
      const note = markdown.split("\n\n")[0].replace(/&nbsp;/g, " ").replace(/\\(.)/g, "$1");
      assert.ok(note.startsWith("Context: ") && note.includes(`${name}, ${name}:4-5`), note);
      assert.ok(note.includes(`left out: ${outside} (no workspace folder is open, and attached files are read only inside the workspace folders), ${outside} (no workspace folder is open`), note);
      assert.match(note, /left out: .*a tool result \(an attachment of a kind HAPS does not read\)/);
      const query = api.lastRouteQuery()!;
      assert.equal(query.question, "Which river flows through Paris?", "the mention is cut from the question the agents get");
      const titles = query.context!.map((p) => p.title);
      assert.ok(titles.some((t) => t.endsWith(`${name} (lines 1-2)`)), JSON.stringify(titles));
      assert.ok(titles.some((t) => t.endsWith(`${name}:4-5 (lines 4-5)`)), JSON.stringify(titles));
      assert.ok(query.context!.some((p) => p.sentences.join("") === "Seine\nThe Seine flows through Paris."));
      assert.ok(!query.context!.some((p) => p.sentences.join("").includes("secret")), "nothing from outside the workspace");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
