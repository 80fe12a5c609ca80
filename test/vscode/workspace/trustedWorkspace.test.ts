// What a trusted workspace still may not make the extension do: have a configuration it chose send one of the user's
// environment variables as an API key (apiKeyEnv), or download model URLs without the user saying yes. In extension
// tests VS Code answers every modal dialog with its cancel button, so the download question is declined here.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as vscode from "vscode";
import { gatherQuestionContext } from "../../../src/extension/chat/workspaceContext.ts";
import { hapsApi, PARIS_CONTEXT } from "../suite/helpers.ts";

const question = { question: "Which city is the capital of France?", context: PARIS_CONTEXT };

/** A file inside the workspace folder, a secret in a folder outside it, and a symbolic link in the workspace to the secret. */
function attachmentFiles(insideName: string, text: string, linkName: string) {
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const inside = path.join(root, insideName);
  writeFileSync(inside, text);
  const outsideDir = mkdtempSync(path.join(tmpdir(), "haps-outside-"));
  const secret = path.join(outsideDir, "secret.txt");
  writeFileSync(secret, "a secret outside the workspace\n");
  const link = path.join(root, linkName);
  rmSync(link, { force: true });
  symlinkSync(secret, link);
  return { root, inside, outsideDir, secret, link };
}

describe("a trusted workspace", () => {
  const config = () => vscode.workspace.getConfiguration("haps");

  it("is trusted, and its settings apply", () => {
    assert.equal(vscode.workspace.isTrusted, true);
    assert.equal(config().get("configFile"), "haps.json");
  });

  it("its configuration may not name an environment variable as an API key", async () => {
    const api = await hapsApi();
    const failure = await api.route(question).then(() => null, (e: Error) => e.message);
    assert.ok(failure, "the route was refused");
    assert.match(failure, /haps\.json: candidates\[0\]\.apiKeyEnv names the environment variable "OPENAI_API_KEY", but this configuration comes from the workspace \(haps\.configFile in this workspace's settings/);
  });

  it("nor may a file inside the workspace, even when the user's settings name it", async () => {
    const api = await hapsApi();
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, "haps.json");
    await config().update("configFile", undefined, vscode.ConfigurationTarget.Workspace);
    await config().update("configFile", file, vscode.ConfigurationTarget.Global);
    try {
      const failure = await api.route(question).then(() => null, (e: Error) => e.message);
      assert.ok(failure, "the route was refused");
      assert.match(failure, /candidates\[0\]\.apiKeyEnv .* comes from the workspace \(the configuration file .*haps\.json, inside this workspace\)/);
    } finally {
      await config().update("configFile", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("model URLs it names are downloaded only when the user says yes (declined here: nothing is fetched)", async () => {
    const api = await hapsApi();
    assert.equal(config().get("configFile"), "", "the workspace's configuration is out of the way");
    assert.match(String(config().get("models.router")), /^https:\/\/models\.invalid\//, "the workspace's model URLs apply");
    const reports: unknown[] = [];
    const subscription = api.downloads.onDidReport((r) => reports.push(r));
    try {
      const failure = await api.route(question).then(() => null, (e: Error) => e.message);
      assert.ok(failure, "the route was refused");
      assert.match(failure, /^Not downloaded: https:\/\/models\.invalid\/.* \(named by haps\.models\.candidates, haps\.models\.router, haps\.models\.embedding in this workspace's settings\)/);
      assert.deepEqual(reports, [], "no download was started");
    } finally {
      subscription.dispose();
    }
  });

  it("#file: reads files inside the workspace folders only (paths, .. and symbolic links out of it are refused, named); haps.chat.editorContext off reads no editor", async () => {
    const { root, inside, outsideDir, secret, link } = attachmentFiles("notes.md", "Seine\nThe Seine flows through Paris.\n", "link.txt");
    const relativeOut = path.relative(root, secret);
    try {
      const asked = await gatherQuestionContext(`Which river? #file:notes.md #file:${inside} #file:${secret} #file:${relativeOut} #file:link.txt`, { editorContext: false });
      assert.equal(asked.question, "Which river?");
      const texts = asked.packed.paragraphs.map((p) => p.sentences.join(""));
      assert.ok(texts.some((t) => t.includes("The Seine flows through Paris.")), "the file inside the workspace is read");
      assert.ok(!texts.some((t) => t.includes("secret")), `nothing from outside: ${JSON.stringify(texts)}`);
      const refused = asked.packed.leftOut.filter((l) => /outside the workspace folders; #file reads only files inside the workspace folders/.test(l.reason)).map((l) => l.label);
      assert.deepEqual(refused.sort(), [secret, relativeOut, "link.txt"].sort(), JSON.stringify(asked.packed.leftOut));
      assert.ok(asked.packed.used.some((u) => u.endsWith("notes.md")), JSON.stringify(asked.packed.used));

      // The open editors and the selection: read with the setting on, not with it off (and the answer says so).
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(path.join(root, "haps.json")));
      editor.selection = new vscode.Selection(0, 0, 0, 1);
      const on = await gatherQuestionContext("Which river?", { editor, editorContext: true });
      assert.ok(on.packed.used.some((u) => u.endsWith("haps.json")), JSON.stringify(on.packed.used));
      const off = await gatherQuestionContext("Which river?", { editor, editorContext: false });
      assert.deepEqual(off.packed.used, []);
      assert.deepEqual(off.packed.leftOut, [{ label: "the selection and the open editors", reason: "haps.chat.editorContext is off" }]);
      // The setting is the user's: the workspace's settings set it to true, and the user's false wins (machine scope).
      await vscode.workspace.getConfiguration("haps").update("chat.editorContext", false, vscode.ConfigurationTarget.Global);
      try {
        assert.equal(vscode.workspace.getConfiguration("haps").get("chat.editorContext"), false);
        const byUser = await gatherQuestionContext("Which river?", { editor });
        assert.deepEqual(byUser.packed.used, [], "the user's setting applies when none is passed");
      } finally {
        await vscode.workspace.getConfiguration("haps").update("chat.editorContext", undefined, vscode.ConfigurationTarget.Global);
      }
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      rmSync(link, { force: true });
      rmSync(inside, { force: true });
      rmSync(outsideDir, { recursive: true, force: true });
    }
  });

  it("references attached to an @haps request follow the same rule as #file: inside the workspace folders only (files, ranges and symbolic links out are refused, named; other schemes too)", async () => {
    const { inside, outsideDir, secret, link } = attachmentFiles("rivers.md", "Seine\nThe Seine flows through Paris.\n\nRhone\nThe Rhone flows through Lyon.\n", "linked.txt");
    const settings = vscode.Uri.from({ scheme: "vscode-userdata", path: "/User/settings.json" });
    const ref = (value: unknown): vscode.ChatPromptReference => ({ id: "vscode.file", value, modelDescription: undefined });
    try {
      const asked = await gatherQuestionContext("Which river?", {
        editorContext: false,
        references: [
          ref(vscode.Uri.file(inside)),
          ref(new vscode.Location(vscode.Uri.file(inside), new vscode.Range(3, 0, 5, 0))),
          ref(vscode.Uri.file(secret)),
          ref(new vscode.Location(vscode.Uri.file(secret), new vscode.Range(0, 0, 1, 0))),
          ref(vscode.Uri.file(link)),
          ref(new vscode.Location(vscode.Uri.file(link), new vscode.Range(0, 0, 1, 0))),
          ref(settings),
        ],
      });
      const texts = asked.packed.paragraphs.map((p) => p.sentences.join(""));
      assert.ok(texts.includes("Seine\nThe Seine flows through Paris."), JSON.stringify(texts));
      assert.ok(texts.includes("Rhone\nThe Rhone flows through Lyon."), JSON.stringify(texts));
      assert.ok(!texts.some((t) => t.includes("secret")), `nothing from outside: ${JSON.stringify(texts)}`);
      assert.deepEqual(asked.packed.used.map((u) => path.basename(u)), ["rivers.md", "rivers.md:4-5"]);
      const rule = "outside the workspace folders; attached files are read only inside the workspace folders";
      // Labels as the note shows them (the workspace-relative name of the link); the editors' note aside.
      const leftOut = asked.packed.leftOut.filter((l) => l.reason !== "haps.chat.editorContext is off").map((l) => ({ ...l, label: l.label.endsWith("linked.txt") ? "linked.txt" : l.label }));
      assert.deepEqual(leftOut, [
        { label: secret, reason: rule },
        { label: secret, reason: rule },
        { label: "linked.txt", reason: rule },
        { label: "linked.txt", reason: rule },
        { label: settings.toString(), reason: "not a file (vscode-userdata:); attached files are read only inside the workspace folders" },
      ]);
    } finally {
      rmSync(link, { force: true });
      rmSync(inside, { force: true });
      rmSync(outsideDir, { recursive: true, force: true });
    }
  });
});
